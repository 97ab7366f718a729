// Whether the list is live, announced to screen readers as it changes.
import type { LinkState } from './every-task-stream.js'

const TEXT: Record<LinkState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  stopped: 'Not live',
}

export function LinkStatus({ link }: { link: LinkState }) {
  return (
    <p className="link-status" data-link={link} role="status" aria-live="polite">
      <span className="link-dot" aria-hidden="true" />
      {TEXT[link]}
    </p>
  )
}
