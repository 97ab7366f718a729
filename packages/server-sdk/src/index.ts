// @taskcast/server-sdk — typed HTTP client for producers talking to a Taskcast server.
export { TaskcastServerClient } from './taskcast-server-client.js'
export type { TaskcastServerClientOptions, HistoryOptions } from './taskcast-server-client.js'
export type { RetryOptions, RequestOptions } from './http-requester.js'
export type { WaitForStatusOptions } from './wait-for-status.js'
export type { CancellationSignalOptions } from './cancellation-signal.js'
export type { TaskProducer } from './producer.js'
export type { ProducerOptions } from './producer-options.js'
