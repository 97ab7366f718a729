// A JSON value, indented, in a block that scrolls rather than stretch the page.
import { prettyJson } from './format.js'

export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {prettyJson(value)}
    </pre>
  )
}
