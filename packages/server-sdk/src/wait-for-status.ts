// `waitForStatus`: a promise of the task once its status is one of those asked for (SPEC §16),
// e.g. a blocked agent waiting for its answer. It looks at the task, then follows a status-only
// stream of it from the start, which resumes across dropped connections with no gap: whatever
// happens after the look is in that stream. It needs no scope beyond `event:subscribe`.
import {
  isTerminalStatus,
  taskNotFound,
  TaskcastError,
  type StatusEventData,
  type Task,
  type TaskStatus,
} from '@taskcast/core'
import { backoffDelay, DEFAULT_RECONNECT, sleep, statusOnlyFilter } from '@taskcast/core/wire'
import { taskEndedError, type TaskEnding } from '@taskcast/core/internal'
import type { TaskcastServerClient } from './taskcast-server-client.js'

export interface WaitForStatusOptions {
  /** Stops waiting: the promise rejects with `signal.reason`, and the stream closes. */
  signal?: AbortSignal
}

/** What waiting needs from the client. */
export type StatusReader = Pick<TaskcastServerClient, 'getTask' | 'subscribe'>

/** See `TaskcastServerClient.waitForStatus`. */
export function waitForStatus(
  client: StatusReader,
  taskId: string,
  statuses: readonly TaskStatus[],
  options: WaitForStatusOptions = {},
): Promise<Task> {
  const { signal } = options
  if (signal?.aborted) return Promise.reject(signal.reason)
  if (statuses.length === 0) {
    return Promise.reject(new TaskcastError('VALIDATION_ERROR', 'waitForStatus needs at least one status to wait for'))
  }
  const wanted = new Set(statuses)
  return new Promise<Task>((resolve, reject) => {
    // Aborted once the wait is over, however it ended: closes the stream and any request in flight.
    const over = new AbortController()
    const settle = (finish: () => void): void => {
      if (over.signal.aborted) return
      over.abort()
      signal?.removeEventListener('abort', onAbort)
      finish()
    }
    const onAbort = (): void => settle(() => reject(signal!.reason))
    signal?.addEventListener('abort', onAbort, { once: true })
    const fail = (error: unknown): void => settle(() => reject(error))

    /** Reads the task; true (and the promise resolved) when its status is a wanted one. */
    const look = async (): Promise<boolean> => {
      const task = await client.getTask(taskId, { signal: over.signal })
      if (task === null) throw taskNotFound(taskId)
      if (!wanted.has(task.status)) return false
      settle(() => resolve(task))
      return true
    }

    /** A look that rides out an outage as the stream does: a failure worth a retry is retried. */
    const lookUntilAnswered = async (): Promise<boolean> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await look()
        } catch (error) {
          if (!TaskcastError.isInstance(error) || !error.retryable) throw error
          await sleep(backoffDelay(attempt, DEFAULT_RECONNECT), over.signal)
          if (over.signal.aborted) return false
        }
      }
    }
    // A wanted status in the stream may be an old one (the stream replays the task's whole
    // status log) or already left: only the task itself says. Looks do not overlap: the wanted
    // statuses seen during one look (a replay brings many at once) cost one more look in all.
    let looking = false
    let lookAgain = false
    const confirm = (): void => {
      if (looking) {
        lookAgain = true
        return
      }
      looking = true
      lookAgain = false
      lookUntilAnswered().then((found) => {
        looking = false
        if (!found && lookAgain) confirm()
      }, fail)
    }
    const seen = (ending: Pick<StatusEventData, 'status' | 'reason' | 'error'>): void => {
      if (wanted.has(ending.status)) confirm()
      // A terminal status is the last of the log: the task never gets to a wanted one.
      else if (isTerminalStatus(ending.status)) fail(taskEndedError(taskId, ending as TaskEnding))
    }

    const start = async (): Promise<void> => {
      // The first look fails fast, as any other call does: a wrong address is not an outage to wait out.
      if (await look()) return
      let sawTerminal = false
      client.subscribe<StatusEventData>(taskId, {
        filter: statusOnlyFilter(),
        signal: over.signal,
        onStatus: (status, envelope) => {
          sawTerminal = isTerminalStatus(status)
          seen(envelope.data)
        },
        // Only the done frame tells of an end whose status event was removed (a cleanup rule).
        onDone: (status) => sawTerminal || seen({ status }),
        onError: fail,
      })
    }
    start().catch(fail)
  })
}
