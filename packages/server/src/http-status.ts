// Errors as the server answers them: the status from core's one table (`@taskcast/core/wire`,
// which the clients read too), and the JSON error body.
import { TaskcastError, type TaskcastErrorCode } from '@taskcast/core'
import { codeOfHttpStatus, httpStatusOf } from '@taskcast/core/wire'
import { HTTPException } from 'hono/http-exception'

export { HTTP_STATUS_BY_CODE, httpStatusOf } from '@taskcast/core/wire'

/** The body of every error response. */
export interface ErrorBody {
  error: { code: TaskcastErrorCode; message: string; details?: Record<string, unknown> }
}

const INTERNAL_MESSAGE = 'internal server error'

/**
 * Classifies anything a handler threw. `TaskcastError` keeps its code; Hono's `HTTPException`
 * (from Hono or third-party middleware) gets the code of its status; anything else is
 * `INTERNAL`, with a generic message so internals never leak to clients.
 */
export function toTaskcastError(error: unknown): TaskcastError {
  if (TaskcastError.isInstance(error)) return error
  if (error instanceof HTTPException) {
    return new TaskcastError(codeOfHttpStatus(error.status), error.message || defaultMessage(error.status), {
      cause: error,
    })
  }
  return new TaskcastError('INTERNAL', INTERNAL_MESSAGE, { cause: error })
}

export function toErrorBody(error: TaskcastError): ErrorBody {
  // Messages of INTERNAL errors may come from anywhere (a driver, a bug): never echo them.
  const message = error.code === 'INTERNAL' ? INTERNAL_MESSAGE : error.message
  return { error: { code: error.code, message, ...(error.details && { details: error.details }) } }
}

function defaultMessage(status: number): string {
  return status >= 500 ? INTERNAL_MESSAGE : `request failed with status ${status}`
}
