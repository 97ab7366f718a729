// A task's status history in a form a test can compare in one line.
import { STATUS_EVENT_TYPE, type StatusEventData } from '@taskcast/core'
import type { TaskcastServerClient } from '@taskcast/server-sdk'

export interface Move {
  move: string
  at: number
}

/** The task's status moves as `status` or `status:detail` (the worker, or the reason), with their times. */
export async function statusMoves(client: TaskcastServerClient, taskId: string): Promise<Move[]> {
  const history = await client.getHistory(taskId)
  return history
    .filter((event) => event.type === STATUS_EVENT_TYPE)
    .map(({ data, timestamp }) => {
      const { status, workerId, reason } = data as StatusEventData
      const detail = workerId ?? reason
      return { move: detail === undefined ? status : `${status}:${detail}`, at: timestamp }
    })
}
