// @taskcast/client — subscribe to Taskcast task streams from browsers, Node 18+, Bun and Deno.
export { TaskcastClient } from './taskcast-client.js'
export type { TaskcastClientOptions } from './taskcast-client.js'
export type { TaskActionOptions } from './task-action.js'
export type { SubscribeOptions, TaskSubscription, TaskEnvelope, ReconnectOptions, DoneReason } from '@taskcast/core/wire'
export { TaskStreamObserver, idleTaskStreamState } from './task-stream-observer.js'
export type { TaskStreamState, TaskStreamObserverOptions } from './task-stream-observer.js'
export { accumulateText, appendSeriesText } from './accumulate-text.js'
export type { AccumulateTextOptions } from './accumulate-text.js'
export { createSSEParser } from '@taskcast/core/wire'
export type { SSEMessage, SSEParser } from '@taskcast/core/wire'
export type { TokenSource, BackoffOptions } from '@taskcast/core/wire'
// Re-exported so applications can type their code without installing @taskcast/core themselves.
export { TaskcastError } from '@taskcast/core'
export type {
  TaskcastErrorCode,
  SSEEnvelope,
  SubscribeFilter,
  SinceCursor,
  SeriesFormat,
  Level,
  TaskStatus,
  TerminalStatus,
  StatusEventData,
  Task,
  BlockedRequest,
} from '@taskcast/core'
