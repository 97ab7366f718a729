// The one error class of Taskcast. Servers map `code` to an HTTP status in one table.

export type TaskcastErrorCode =
  | 'TASK_NOT_FOUND'
  | 'ROUTE_NOT_FOUND'
  | 'DUPLICATE_TASK'
  | 'INVALID_TRANSITION'
  | 'CONFLICT'
  | 'STALE_PRODUCER'
  | 'SEQUENCE_GAP'
  | 'TASK_NOT_RUNNING'
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'STORE_UNAVAILABLE'
  | 'INTERNAL'

export const TASKCAST_ERROR_CODES: readonly TaskcastErrorCode[] = [
  'TASK_NOT_FOUND',
  'ROUTE_NOT_FOUND',
  'DUPLICATE_TASK',
  'INVALID_TRANSITION',
  'CONFLICT',
  'STALE_PRODUCER',
  'SEQUENCE_GAP',
  'TASK_NOT_RUNNING',
  'VALIDATION_ERROR',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
  'STORE_UNAVAILABLE',
  'INTERNAL',
]

// A registry-wide symbol, so instances are recognised even when two copies of core are installed.
const marker = Symbol.for('taskcast.error')

export interface TaskcastErrorOptions {
  cause?: unknown
  /** Extra machine-readable context, e.g. the offending field. */
  details?: Record<string, unknown>
  /** Whether the same request may succeed later. @defaultValue true for `STORE_UNAVAILABLE` and `INTERNAL` */
  retryable?: boolean
}

/** Codes whose failure may pass by itself (a store or the server had a passing fault). */
const RETRYABLE_BY_DEFAULT: readonly TaskcastErrorCode[] = ['STORE_UNAVAILABLE', 'INTERNAL']

export class TaskcastError extends Error {
  readonly code: TaskcastErrorCode
  readonly details?: Record<string, unknown>
  /** Whether sending the same request again may succeed (as the AI SDK's `APICallError.isRetryable`). */
  readonly retryable: boolean
  private readonly [marker] = true

  constructor(code: TaskcastErrorCode, message: string, options: TaskcastErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TaskcastError'
    this.code = code
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.includes(code)
    if (options.details) this.details = options.details
  }

  static isInstance(value: unknown): value is TaskcastError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true
  }

  static isCode(value: unknown): value is TaskcastErrorCode {
    return typeof value === 'string' && (TASKCAST_ERROR_CODES as readonly string[]).includes(value)
  }
}

/** The one wording of "no such task", for every package. */
export function taskNotFound(taskId: string): TaskcastError {
  return new TaskcastError('TASK_NOT_FOUND', `task ${taskId} not found`)
}

/**
 * An append meant for one task (`AppendExpectation`) found another under its id: the task was
 * deleted and created again. Stores throw it; the engine reads the new task and checks again.
 */
export function taskCreatedAgain(taskId: string): TaskcastError {
  return new TaskcastError('CONFLICT', `task ${taskId} was deleted and created again`, { details: { reason: 'created-again' } })
}

/** Whether `error` is what `taskCreatedAgain` throws. */
export function isTaskCreatedAgain(error: unknown): boolean {
  return TaskcastError.isInstance(error) && error.code === 'CONFLICT' && (error.details as { reason?: unknown } | undefined)?.reason === 'created-again'
}
