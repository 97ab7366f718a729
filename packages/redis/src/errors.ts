// Turns what Redis and ioredis report into TaskcastErrors, in one place.
import { TaskcastError, taskCreatedAgain, taskNotFound } from '@taskcast/core'
import { ReplyError } from 'ioredis'

/** Negative results of the Lua scripts (see the headers of src/commands/*.lua). */
export const SCRIPT_CODES = {
  TASK_NOT_FOUND: -1,
  TASK_NOT_RUNNING: -2,
  STATUS_CHANGED: -3,
  STALE_PRODUCER: -4,
  SEQUENCE_GAP: -5,
  TASK_CREATED_AGAIN: -6,
} as const

/** The TaskcastError of a script's negative result. */
export function scriptCodeError(code: number, taskId: string): TaskcastError {
  switch (code) {
    case SCRIPT_CODES.TASK_NOT_FOUND:
      return taskNotFound(taskId)
    case SCRIPT_CODES.TASK_NOT_RUNNING:
      return new TaskcastError('TASK_NOT_RUNNING', `task ${taskId} is not running`)
    case SCRIPT_CODES.TASK_CREATED_AGAIN:
      return taskCreatedAgain(taskId)
    default:
      return new TaskcastError('INTERNAL', `unexpected script result ${code} for task ${taskId}`)
  }
}

/**
 * Error replies with which Redis says "not now" rather than "wrong": the server is
 * loading, read-only, out of memory, busy with a script, or the cluster is reconfiguring.
 */
const TRANSIENT_REPLY_CODES = new Set([
  'LOADING',
  'BUSY',
  'READONLY',
  'OOM',
  'MASTERDOWN',
  'MISCONF',
  'NOREPLICAS',
  'CLUSTERDOWN',
  'TRYAGAIN',
])

function isReplyError(error: unknown): error is Error {
  return error instanceof ReplyError || (error instanceof Error && error.name === 'ReplyError')
}

/**
 * The error code of a Redis error reply. RESP defines it as the reply's first word
 * ("the first word after the -, up to the first space or newline"); it is the protocol's
 * machine-readable code, not free text.
 */
function replyCode(error: Error): string {
  return error.message.split(/[\s]/, 1)[0] ?? ''
}

/**
 * Classifies a failed Redis call. Anything that is not an error reply (the connection is
 * down, closed, or dropped the command while it was in flight, so it may or may not have
 * run) is `STORE_UNAVAILABLE`, and so are the transient replies above. Other error
 * replies mean a bug (a script error, a wrong type) and become `INTERNAL`.
 */
export function toTaskcastError(error: unknown): TaskcastError {
  if (TaskcastError.isInstance(error)) return error
  if (isReplyError(error)) {
    const code = replyCode(error)
    return TRANSIENT_REPLY_CODES.has(code)
      ? new TaskcastError('STORE_UNAVAILABLE', `Redis is unavailable (${code})`, { cause: error })
      : new TaskcastError('INTERNAL', `Redis rejected a command (${code})`, { cause: error })
  }
  return new TaskcastError('STORE_UNAVAILABLE', 'Redis is unavailable', { cause: error })
}
