// How many of the listed tasks are in each status.
import type { TaskStatus } from '@taskcast/core'
import { StatusChip } from './status-chip.js'

export function StatusCounts({ counts, total }: { counts: ReadonlyArray<readonly [TaskStatus, number]>; total: number }) {
  return (
    <div className="counts">
      <p className="counts-total">{total === 1 ? '1 task listed' : `${total} tasks listed`}</p>
      {counts.length > 0 && (
        <ul className="counts-list" aria-label="Listed tasks by status">
          {counts.map(([status, count]) => (
            <li key={status} data-count={status}>
              <StatusChip status={status} /> <span className="count">{count}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
