// Rebuilds the server's error from a failed HTTP answer (`{ error: { code, message, details? } }`)
// or from a `taskcast.error` frame, so callers branch on `error.code` exactly as they would
// against the embedded engine, and know whether trying again may help.
import { TaskcastError, type TaskcastErrorCode } from '../errors.js'
import { isPlainObject } from '../json-value.js'
import { codeOfHttpStatus, isRetryableStatus } from './http-status.js'

/**
 * The `TaskcastError` a non-2xx response stands for: the server's code and message, its
 * `details`, and the HTTP status as `details.httpStatus`; retryable when the status is.
 */
export async function taskcastErrorFromResponse(response: Response): Promise<TaskcastError> {
  let body: unknown
  try {
    body = await response.json()
  } catch {
    body = undefined
  }
  const wire = isPlainObject(body) && isPlainObject(body.error) ? body.error : {}
  return taskcastErrorFromWire(wire, {
    code: codeOfHttpStatus(response.status),
    message: `request failed with HTTP status ${response.status}`,
    details: { httpStatus: response.status },
    retryable: isRetryableStatus(response.status),
  })
}

/**
 * The `TaskcastError` of a wire error object `{ code, message, details? }`, with `fallback`
 * for what it lacks (and its extra `details` added).
 */
export function taskcastErrorFromWire(
  wire: Record<string, unknown>,
  fallback: { code: TaskcastErrorCode; message: string; details?: Record<string, unknown>; retryable?: boolean },
): TaskcastError {
  const code = TaskcastError.isCode(wire.code) ? wire.code : fallback.code
  const message = typeof wire.message === 'string' ? wire.message : fallback.message
  const details = { ...(isPlainObject(wire.details) ? wire.details : {}), ...fallback.details }
  return new TaskcastError(code, message, { details, ...(fallback.retryable !== undefined && { retryable: fallback.retryable }) })
}

/**
 * A request that got no response at all (DNS, refused connection, reset, cut stream).
 * The closed code union has no "network" code; `STORE_UNAVAILABLE` is the one that means
 * "the service could not serve this, try again", and `details.network` tells it apart.
 */
export function networkError(cause: unknown, message = 'could not reach the Taskcast server'): TaskcastError {
  if (TaskcastError.isInstance(cause)) return cause
  return new TaskcastError('STORE_UNAVAILABLE', message, { cause, details: { network: true }, retryable: true })
}
