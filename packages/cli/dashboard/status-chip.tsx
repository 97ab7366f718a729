// A task's status as a chip: the word itself, with a colour that only repeats it.
import type { TaskStatus } from '@taskcast/core'

export function StatusChip({ status }: { status: TaskStatus }) {
  return (
    <span className="chip" data-status={status}>
      {status}
    </span>
  )
}
