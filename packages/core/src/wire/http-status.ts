// HTTP statuses of the wire: the one table from error code to status that the server answers
// with, what a status means when the body is not Taskcast's, and which failures are worth
// another try. The server, the browser client and the server SDK all read these.
import type { TaskcastErrorCode } from '../errors.js'

/** The status every error code is answered with. */
export const HTTP_STATUS_BY_CODE = {
  VALIDATION_ERROR: 400,
  INVALID_TRANSITION: 400,
  TASK_NOT_RUNNING: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  TASK_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  DUPLICATE_TASK: 409,
  CONFLICT: 409,
  STALE_PRODUCER: 409,
  SEQUENCE_GAP: 409,
  PAYLOAD_TOO_LARGE: 413,
  INTERNAL: 500,
  STORE_UNAVAILABLE: 503,
} as const satisfies Record<TaskcastErrorCode, number>

export type TaskcastHttpStatus = (typeof HTTP_STATUS_BY_CODE)[TaskcastErrorCode]

export function httpStatusOf(code: TaskcastErrorCode): TaskcastHttpStatus {
  return HTTP_STATUS_BY_CODE[code]
}

/**
 * The code a status stands for when the answer did not say (a proxy's HTML page, a wrong
 * base URL, a Hono `HTTPException`): the gateway errors mean "could not be served now".
 */
export function codeOfHttpStatus(status: number): TaskcastErrorCode {
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
    case 502:
    case 503:
    case 504:
      return 'STORE_UNAVAILABLE'
    default:
      // Any other client error (400, 405, 415, 422…) is a malformed request.
      return status >= 400 && status < 500 ? 'VALIDATION_ERROR' : 'INTERNAL'
  }
}

/**
 * Whether a request answered with `status` may succeed if sent again unchanged: a timeout,
 * rate limiting, or a failure on the server's side. Everything else in 4xx needs another request.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}
