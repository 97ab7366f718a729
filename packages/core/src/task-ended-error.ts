// The error of a task that ended while a producer still had a use for it: the reason a
// cancellation signal aborts with (server SDK, AI SDK bridge), and what `waitForStatus` rejects
// with when the task ended in a status it was not waiting for. `TASK_NOT_RUNNING` is the code a
// publish to such a task gets back, so one check covers the aborted call and the refused publish.
import { TaskcastError } from './errors.js'
import type { StatusEventData, TerminalStatus } from './types.js'

/** What is known of how the task ended: its status event, or only the done frame's status. */
export type TaskEnding = Pick<StatusEventData, 'reason' | 'error'> & { status: TerminalStatus }

/**
 * `TASK_NOT_RUNNING`, not retryable, with `details: { taskId, status, reason?, error? }` from the
 * status event that ended the task.
 */
export function taskEndedError(taskId: string, ending: TaskEnding): TaskcastError {
  const { status, reason, error } = ending
  const why = reason ?? error?.message
  return new TaskcastError('TASK_NOT_RUNNING', `task ${taskId} is ${status}${why === undefined ? '' : `: ${why}`}`, {
    details: {
      taskId,
      status,
      ...(reason !== undefined && { reason }),
      ...(error !== undefined && { error }),
    },
  })
}
