// Rebuilds the server's error from a failed HTTP response (SPEC §7: `{ error: { code, message } }`),
// so callers branch on `error.code` exactly as they would against the embedded engine.
import { isPlainObject, TaskcastError, type TaskcastErrorCode } from '@taskcast/core'


// Only for bodies that are not Taskcast's (a proxy's HTML 502, a wrong baseUrl's 404).
function codeOfStatus(status: number): TaskcastErrorCode {
  if (status === 401) return 'UNAUTHORIZED'
  if (status === 403) return 'FORBIDDEN'
  if (status === 404) return 'ROUTE_NOT_FOUND'
  if (status === 409) return 'CONFLICT'
  if (status === 413) return 'PAYLOAD_TOO_LARGE'
  if (status === 502 || status === 503 || status === 504) return 'STORE_UNAVAILABLE'
  return status >= 400 && status < 500 ? 'VALIDATION_ERROR' : 'INTERNAL'
}

/**
 * The `TaskcastError` a non-2xx response stands for: the server's code and message, its
 * `details`, and the HTTP status as `details.httpStatus`.
 */
export async function taskcastErrorFromResponse(response: Response): Promise<TaskcastError> {
  let body: unknown
  try {
    body = await response.json()
  } catch {
    body = undefined
  }
  const wire = isPlainObject(body) && isPlainObject(body.error) ? body.error : {}
  return taskcastErrorFromWire(wire, codeOfStatus(response.status), `request failed with HTTP status ${response.status}`, {
    httpStatus: response.status,
  })
}

/**
 * The `TaskcastError` of a wire error object `{ code, message, details? }` (an error response's
 * `error`, or the data of a `taskcast.error` frame), with fallbacks for what it lacks.
 */
export function taskcastErrorFromWire(
  wire: Record<string, unknown>,
  fallbackCode: TaskcastErrorCode,
  fallbackMessage: string,
  extraDetails: Record<string, unknown> = {},
): TaskcastError {
  const code = TaskcastError.isCode(wire.code) ? wire.code : fallbackCode
  const message = typeof wire.message === 'string' ? wire.message : fallbackMessage
  const details = { ...(isPlainObject(wire.details) ? wire.details : {}), ...extraDetails }
  return new TaskcastError(code, message, { details })
}

/**
 * A request that got no response at all (DNS, refused connection, reset, cut stream).
 * The closed code union has no "network" code; `STORE_UNAVAILABLE` is the one that means
 * "the service could not serve this, try again", and `details.network` tells it apart.
 */
export function networkError(cause: unknown, message = 'could not reach the Taskcast server'): TaskcastError {
  if (TaskcastError.isInstance(cause)) return cause
  return new TaskcastError('STORE_UNAVAILABLE', message, { cause, details: { network: true } })
}
