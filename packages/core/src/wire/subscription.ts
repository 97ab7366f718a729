// What a subscription to a task's SSE stream takes and gives: its options, its handle, and the
// settings it gets from its client (the browser client and the server SDK both open them). The
// stream itself is `StreamSubscription`.
import type { TaskcastError } from '../errors.js'
import type { SeriesFormat, SSEEnvelope, StatusEventData, SubscribeFilter, TaskStatus, TerminalStatus } from '../types.js'
import type { TokenSource } from './auth-headers.js'
import type { BackoffOptions } from './backoff.js'
import { StreamSubscription } from './stream-subscription.js'

/** An SSE envelope whose `data` the caller has typed. */
export type TaskEnvelope<TData = unknown> = Omit<SSEEnvelope, 'data'> & { data: TData }

export interface ReconnectOptions extends BackoffOptions {
  /**
   * Consecutive connection attempts that may fail (network error, 5xx, 429) before the
   * subscription gives up and calls `onError`.
   * @defaultValue Infinity
   */
  maxAttempts?: number
  /**
   * Reconnect when nothing at all (not even a `: ping`) arrived for this long, which is how
   * a half-open TCP connection is noticed. 0 disables it.
   * @defaultValue 45_000 (three missed pings at the server's default 15 s)
   */
  idleTimeoutMs?: number
}

export interface SubscribeOptions<TData = unknown> {
  /**
   * Which events, and where to start. `wrap` is ignored: the client always reads envelopes
   * (it needs `eventId` and `type` to resume and to report status).
   */
  filter?: SubscribeFilter
  /** @defaultValue 'delta' */
  seriesFormat?: SeriesFormat
  /** Every event the filter selects, in order, exactly once (status events included). */
  onEvent?: (envelope: TaskEnvelope<TData>) => void
  /** The task's new status, for each `taskcast:status` event (after `onEvent` got it). */
  onStatus?: (status: TaskStatus, envelope: TaskEnvelope<StatusEventData>) => void
  /** The task reached a terminal status; the subscription has ended. */
  onDone?: (reason: TerminalStatus) => void
  /**
   * The subscription ended on an error it will not retry: the server's 4xx (`UNAUTHORIZED`,
   * `FORBIDDEN`, `TASK_NOT_FOUND`, `VALIDATION_ERROR`…), a malformed stream, or
   * `reconnect.maxAttempts` exhausted.
   */
  onError?: (error: TaskcastError) => void
  /** Aborting it is the same as `unsubscribe()`. */
  signal?: AbortSignal
}

/** How a task ended, as the done frame reports it. */
export type DoneReason = TerminalStatus

/** A running subscription. Not a promise: `await client.subscribe(...)` just gives it back. */
export interface TaskSubscription {
  /** Closes the stream; no callback runs afterwards. Safe to call more than once. */
  unsubscribe(): void
  /**
   * Settles once, when the subscription ends:
   * - resolves with the done reason when the task finished (after `onDone`);
   * - rejects with the `TaskcastError` that `onError` gets (after `onError`);
   * - rejects with an `AbortError` `DOMException` after `unsubscribe()`, or with
   *   `signal.reason` when `signal` aborted, if the task had not finished by then.
   *
   * It never causes an unhandled rejection by itself: leaving it alone is fine when you
   * use `onError`.
   */
  readonly finished: Promise<DoneReason>
}

/** How a subscription reconnects unless told otherwise. */
export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  idleTimeoutMs: 45_000,
}

/** What a subscription takes from its client, defaults applied. */
export interface ConnectionSettings {
  baseUrl: string
  token: TokenSource | undefined
  fetch: typeof fetch
  reconnect: Required<ReconnectOptions>
}

/** Opens a subscription; it connects at once and runs until it ends or is unsubscribed. */
export function openSubscription<TData>(
  settings: ConnectionSettings,
  taskId: string,
  options: SubscribeOptions<TData>,
): TaskSubscription {
  return new StreamSubscription(settings, taskId, options).handle
}
