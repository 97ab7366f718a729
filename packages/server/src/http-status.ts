// The one table from TaskcastError codes to HTTP statuses, and the JSON error body built from it.
import { TaskcastError, type TaskcastErrorCode } from '@taskcast/core'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export const HTTP_STATUS_BY_CODE: Readonly<Record<TaskcastErrorCode, ContentfulStatusCode>> = {
  VALIDATION_ERROR: 400,
  INVALID_TRANSITION: 400,
  TASK_NOT_RUNNING: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  TASK_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  DUPLICATE_TASK: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  INTERNAL: 500,
  STORE_UNAVAILABLE: 503,
}

/** The body of every error response. */
export interface ErrorBody {
  error: { code: TaskcastErrorCode; message: string; details?: Record<string, unknown> }
}

const INTERNAL_MESSAGE = 'internal server error'

export function httpStatusOf(code: TaskcastErrorCode): ContentfulStatusCode {
  return HTTP_STATUS_BY_CODE[code]
}

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

function codeOfHttpStatus(status: number): TaskcastErrorCode {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED'
    case 403:
      return 'FORBIDDEN'
    case 404:
      return 'ROUTE_NOT_FOUND'
    case 409:
      return 'CONFLICT'
    case 413:
      return 'PAYLOAD_TOO_LARGE'
    case 503:
      return 'STORE_UNAVAILABLE'
    default:
      // Any other client error (400, 405, 415, 422…) is a malformed request.
      return status >= 400 && status < 500 ? 'VALIDATION_ERROR' : 'INTERNAL'
  }
}

function defaultMessage(status: number): string {
  return status >= 500 ? INTERNAL_MESSAGE : `request failed with status ${status}`
}
