// The embedded counterpart of the server SDK's `cancellationSignal` (SPEC §17): an AbortSignal
// that aborts when the task reaches a terminal status, is deleted, or can no longer be followed.
// It follows the task's status events through `engine.subscribe`, so a cancel made on another
// process sharing the stores reaches it too. The caller releases it before ending the task
// itself, so its own end is never taken for a cancellation.
import { isTerminalStatus, TaskcastError, type StatusEventData, type TaskEngine } from '@taskcast/core'
import { statusOnlyFilter } from '@taskcast/core/wire'
import { taskEndedError } from '@taskcast/core/internal'

export function engineEndSignal(engine: TaskEngine, taskId: string, release: AbortSignal): AbortSignal {
  const controller = new AbortController()
  let unsubscribe: (() => void) | undefined
  let over = false
  const stop = (): void => {
    over = true
    unsubscribe?.()
  }
  const end = (reason: unknown): void => {
    if (over) return
    stop()
    controller.abort(reason)
  }
  if (release.aborted) return controller.signal
  release.addEventListener('abort', stop, { once: true })
  unsubscribe = engine.subscribe(taskId, statusOnlyFilter(), {
    onEnvelope: (envelope) => {
      const data = envelope.data as StatusEventData
      if (isTerminalStatus(data.status)) end(taskEndedError(taskId, { ...data, status: data.status }))
    },
    // Only the end of the stream tells of an end whose status event a cleanup rule removed.
    onDone: (status) => isTerminalStatus(status) && end(taskEndedError(taskId, { status })),
    onGone: (reason) => end(new TaskcastError('TASK_NOT_FOUND', `task ${taskId} is gone (${reason})`)),
    onError: (error) => end(error),
  })
  if (over) unsubscribe()
  return controller.signal
}
