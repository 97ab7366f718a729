// A worker's move of a task it holds (to running, completed, failed, or back to pending), sent
// again after a network error or a 5xx: a worker must not drop a finished task's result over a
// passing fault. A PATCH is not idempotent, so a repeat refused because the task is no longer
// where the move starts may only mean that an earlier attempt got through; the caller says how
// to recognise that from the task as it is now.
import { TaskcastError, type Task, type TaskStatus, type TransitionPayload } from '@taskcast/core'
import { backoffDelay, sleep, type BackoffOptions } from '@taskcast/core/wire'
import type { TaskcastServerClient } from './taskcast-server-client.js'

/** Attempts of one move at most: with the default backoff, about a minute of retries. */
const MOVE_ATTEMPTS = 8

const NEVER_ABORTED = new AbortController().signal

/** The answers that say the task is not where the move starts (someone else moved it, or deleted it). */
const REFUSALS: readonly string[] = ['INVALID_TRANSITION', 'CONFLICT', 'TASK_NOT_FOUND']

/** Whether `error` refuses a move because the task is not where the move starts. */
export function isRefusal(error: unknown): error is TaskcastError {
  return TaskcastError.isInstance(error) && REFUSALS.includes(error.code)
}

export type MoveOutcome = { moved: true; task: Task } | { moved: false; refusal: TaskcastError }

export interface Move {
  taskId: string
  status: TaskStatus
  payload?: TransitionPayload
  /** Whether the task, read after a refused repeat, shows that an earlier attempt of this move got through. */
  recognise: (task: Task) => boolean
}

/**
 * Moves the task, or resolves the refusal when someone else moved it first.
 * @throws the error of the last attempt, for anything but a refusal (a refused token, a server down throughout)
 */
export async function moveTask(client: TaskcastServerClient, move: Move, retry: Required<BackoffOptions>): Promise<MoveOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { moved: true, task: await client.transitionTask(move.taskId, move.status, move.payload) }
    } catch (error) {
      if (isRefusal(error)) {
        if (attempt > 0) {
          const now = await client.getTask(move.taskId)
          if (now !== null && move.recognise(now)) return { moved: true, task: now }
        }
        return { moved: false, refusal: error }
      }
      if (!TaskcastError.isInstance(error) || !error.retryable || attempt + 1 >= MOVE_ATTEMPTS) throw error
      await sleep(backoffDelay(attempt, retry), NEVER_ABORTED)
    }
  }
}
