// @taskcast/core/wire — what travels between the server and its clients, defined once: the
// status of every error code, which failures are worth a retry, the SSE frame names, the query
// codec, errors rebuilt from answers, auth headers, reconnect timing, the SSE reader that
// resumes a dropped stream, and the filter of a status-only stream, which the browser client
// and the server SDK both use.
export { HTTP_STATUS_BY_CODE, httpStatusOf, codeOfHttpStatus, isRetryableStatus } from './http-status.js'
export type { TaskcastHttpStatus } from './http-status.js'
export { EVENT_FRAME, DONE_FRAME, ERROR_FRAME } from './sse-frames.js'
export { taskcastErrorFromResponse, taskcastErrorFromWire, networkError } from './errors-from-http.js'
export { authHeaders } from './auth-headers.js'
export {
  PRODUCER_HEADERS,
  PRODUCER_ID_HEADER,
  PRODUCER_EPOCH_HEADER,
  PRODUCER_SEQ_HEADER,
  producerHeaders,
  producerStampFromHeaders,
} from './producer-headers.js'
export type { TokenSource } from './auth-headers.js'
export { backoffDelay, sleep } from './backoff.js'
export type { BackoffOptions } from './backoff.js'
export { createSSEParser } from './sse-parser.js'
export type { SSEMessage, SSEParser } from './sse-parser.js'
export { DEFAULT_RECONNECT, openSubscription } from './subscription.js'
export { statusOnlyFilter } from './status-only-filter.js'
export type {
  ConnectionSettings,
  DoneReason,
  ReconnectOptions,
  SubscribeOptions,
  TaskEnvelope,
  TaskSubscription,
} from './subscription.js'
export { parseSubscribeQuery, toSubscribeSearchParams } from '../query.js'
export { parseTaskListParams, toTaskListSearchParams, parseGlobalStreamParams, toGlobalStreamSearchParams } from '../watch-query.js'
export type { GlobalStreamFilter } from '../watch-query.js'
export { parseWorkerPullParams, toWorkerPullSearchParams, MAX_PULL_TIMEOUT_MS, DEFAULT_PULL_TIMEOUT_MS } from '../worker-query.js'
export type { WorkerPull } from '../worker-query.js'
export type { SubscribeQuery } from '../query.js'
