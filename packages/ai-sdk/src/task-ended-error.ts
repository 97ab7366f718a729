// The reason a task's end signal aborts with, in the form the server SDK's
// `cancellationSignal` uses: `TASK_NOT_RUNNING` (the code a publish to such a task gets back),
// with the status and the reason of the move that ended it.
import { TaskcastError, type StatusEventData, type TerminalStatus } from '@taskcast/core'

export type TaskEnding = Pick<StatusEventData, 'reason' | 'error'> & { status: TerminalStatus }

export function taskEndedError(taskId: string, ending: TaskEnding): TaskcastError {
  const { status, reason, error } = ending
  const why = reason ?? error?.message
  return new TaskcastError('TASK_NOT_RUNNING', `task ${taskId} is ${status}${why === undefined ? '' : `: ${why}`}`, {
    details: { taskId, status, ...(reason !== undefined && { reason }), ...(error !== undefined && { error }) },
  })
}
