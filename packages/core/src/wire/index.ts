// @taskcast/core/wire — what travels between the server and its clients, defined once: the
// status of every error code, which failures are worth a retry, the SSE frame names, the query
// codec, errors rebuilt from answers, auth headers and reconnect timing.
export { HTTP_STATUS_BY_CODE, httpStatusOf, codeOfHttpStatus, isRetryableStatus } from './http-status.js'
export type { TaskcastHttpStatus } from './http-status.js'
export { EVENT_FRAME, DONE_FRAME, ERROR_FRAME } from './sse-frames.js'
export { taskcastErrorFromResponse, taskcastErrorFromWire, networkError } from './errors-from-http.js'
export { authHeaders } from './auth-headers.js'
export type { TokenSource } from './auth-headers.js'
export { backoffDelay, sleep } from './backoff.js'
export type { BackoffOptions } from './backoff.js'
export { parseSubscribeQuery, toSubscribeSearchParams } from '../query.js'
export type { SubscribeQuery } from '../query.js'
