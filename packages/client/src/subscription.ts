// One subscription to a task's SSE stream (SPEC §8): connect, parse, deliver; when the
// connection drops before `taskcast.done`, reconnect with backoff and resume after the last
// delivered event (`since.id`), so the application sees every event once and in order.
import {
  STATUS_EVENT_TYPE,
  TaskcastError,
  type SeriesFormat,
  type SSEEnvelope,
  type StatusEventData,
  type SubscribeFilter,
  type TaskStatus,
  type TerminalStatus,
} from '@taskcast/core'
import { isPlainObject } from '@taskcast/core/internal'
import {
  authHeaders,
  backoffDelay,
  DONE_FRAME,
  ERROR_FRAME,
  EVENT_FRAME,
  networkError,
  sleep,
  taskcastErrorFromResponse,
  taskcastErrorFromWire,
  toSubscribeSearchParams,
  type BackoffOptions,
  type TokenSource,
} from '@taskcast/core/wire'
import { createSSEParser, type SSEMessage } from './sse-parser.js'

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

/** What a subscription takes from its client, defaults applied. */
export interface ConnectionSettings {
  baseUrl: string
  token: TokenSource | undefined
  fetch: typeof fetch
  reconnect: Required<ReconnectOptions>
}

type Outcome = { kind: 'finished' } | { kind: 'retry'; error: TaskcastError; connected: boolean }

// A throwing callback is the application's bug: surface it, but never let it break the stream.
function invoke<A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A): void {
  if (!callback) return
  try {
    callback(...args)
  } catch (error) {
    queueMicrotask(() => {
      throw error
    })
  }
}

export function openSubscription<TData>(
  settings: ConnectionSettings,
  taskId: string,
  options: SubscribeOptions<TData>,
): TaskSubscription {
  const closer = new AbortController()
  let closed = false
  let lastEventId: string | undefined
  let lastRawIndex = -1

  let resolveFinished!: (reason: DoneReason) => void
  let rejectFinished!: (reason: unknown) => void
  const finished = new Promise<DoneReason>((resolve, reject) => {
    resolveFinished = resolve
    rejectFinished = reject
  })
  // Apps that handle errors in onError, or just unsubscribe, never look at `finished`; its
  // rejection must not reach them as an unhandled rejection (which ends a Node process).
  finished.catch(() => {})

  const { signal } = options
  // True for the one call that ends the subscription; every later end is a no-op.
  const close = (): boolean => {
    if (closed) return false
    closed = true
    closer.abort()
    signal?.removeEventListener('abort', abort)
    return true
  }
  const unsubscribe = (): void => {
    if (close()) rejectFinished(new DOMException('the subscription was unsubscribed', 'AbortError'))
  }
  // Like fetch: an aborted signal's reason is what the pending promise rejects with.
  const abort = (): void => {
    if (close()) rejectFinished(signal?.reason)
  }
  if (signal?.aborted) {
    abort()
    return { unsubscribe, finished }
  }
  signal?.addEventListener('abort', abort, { once: true })

  function fail(error: TaskcastError): void {
    if (!close()) return
    invoke(options.onError, error)
    rejectFinished(error)
  }

  function url(): string {
    const { wrap: _ignored, ...filter } = options.filter ?? {}
    // After a drop, the last delivered event is the cursor; the caller's own cursor only
    // applies to the first connection (the server would otherwise prefer since.id anyway).
    if (lastEventId !== undefined) filter.since = { id: lastEventId }
    const query = toSubscribeSearchParams({
      filter,
      ...(options.seriesFormat !== undefined && { seriesFormat: options.seriesFormat }),
    }).toString()
    const base = settings.baseUrl.replace(/\/+$/, '')
    return `${base}/tasks/${encodeURIComponent(taskId)}/events${query ? `?${query}` : ''}`
  }

  // Returns true when the stream is finished for good (done frame, or a fatal protocol error).
  function deliver(message: SSEMessage): boolean {
    if (closed) return true
    if (message.event === EVENT_FRAME) {
      let envelope: TaskEnvelope<TData>
      try {
        envelope = JSON.parse(message.data) as TaskEnvelope<TData>
      } catch (cause) {
        fail(new TaskcastError('INTERNAL', 'the server sent an event that is not JSON', { cause }))
        return true
      }
      // Resuming with since.id never repeats an event; this guards against a server that does.
      if (envelope.rawIndex <= lastRawIndex) return false
      lastRawIndex = envelope.rawIndex
      lastEventId = envelope.eventId
      invoke(options.onEvent, envelope)
      if (envelope.type === STATUS_EVENT_TYPE && !closed) {
        const status = envelope as unknown as TaskEnvelope<StatusEventData>
        invoke(options.onStatus, status.data.status, status)
      }
      return closed
    }
    if (message.event === DONE_FRAME) {
      let reason: TerminalStatus
      try {
        reason = (JSON.parse(message.data) as { reason: TerminalStatus }).reason
      } catch (cause) {
        fail(new TaskcastError('INTERNAL', 'the server sent a done frame that is not JSON', { cause }))
        return true
      }
      if (close()) {
        invoke(options.onDone, reason)
        resolveFinished(reason)
      }
      return true
    }
    if (message.event === ERROR_FRAME) {
      let wire: unknown
      try {
        wire = JSON.parse(message.data)
      } catch {
        wire = undefined
      }
      const fallback = { code: 'INTERNAL' as const, message: 'the server ended the stream with an error', retryable: false }
      // The frame says the stream cannot go on: whatever its code, reconnecting would not help.
      fail(taskcastErrorFromWire(isPlainObject(wire) ? wire : {}, fallback))
      return true
    }
    // Frame names this version does not know are skipped, for forward compatibility.
    return false
  }

  async function connect(): Promise<Outcome> {
    const attempt = new AbortController()
    const abortAttempt = (): void => attempt.abort()
    closer.signal.addEventListener('abort', abortAttempt, { once: true })
    let idleTimer: ReturnType<typeof setTimeout> | undefined
    let idle = false
    const { idleTimeoutMs } = settings.reconnect
    const armIdleTimer = (): void => {
      if (idleTimeoutMs <= 0) return
      clearTimeout(idleTimer)
      idleTimer = setTimeout(() => {
        idle = true
        attempt.abort()
      }, idleTimeoutMs)
    }
    let connected = false
    try {
      const headers = { accept: 'text/event-stream', ...(await authHeaders(settings.token)) }
      if (closed) return { kind: 'finished' }
      const response = await settings.fetch(url(), { headers, signal: attempt.signal })
      if (!response.ok) {
        const error = await taskcastErrorFromResponse(response)
        if (error.retryable) return { kind: 'retry', error, connected }
        fail(error)
        return { kind: 'finished' }
      }
      const contentType = response.headers.get('content-type') ?? ''
      if (!response.body || !contentType.startsWith('text/event-stream')) {
        void response.body?.cancel().catch(() => {})
        fail(new TaskcastError('INTERNAL', `expected an event stream, got "${contentType}"`))
        return { kind: 'finished' }
      }
      connected = true
      const reader = response.body.getReader()
      let finished = false
      const parser = createSSEParser((message) => {
        if (!finished) finished = deliver(message)
      })
      armIdleTimer()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        armIdleTimer()
        parser.push(value)
        if (finished) {
          void reader.cancel().catch(() => {})
          return { kind: 'finished' }
        }
      }
      parser.end()
      return {
        kind: 'retry',
        error: networkError(undefined, 'the stream ended before the task finished'),
        connected,
      }
    } catch (error) {
      if (closed) return { kind: 'finished' }
      if (idle) return { kind: 'retry', error: networkError(error, `no data for ${idleTimeoutMs} ms`), connected }
      if (TaskcastError.isInstance(error)) {
        // Only the token source throws these; they are the application's answer, not a glitch.
        fail(error)
        return { kind: 'finished' }
      }
      return { kind: 'retry', error: networkError(error), connected }
    } finally {
      clearTimeout(idleTimer)
      closer.signal.removeEventListener('abort', abortAttempt)
    }
  }

  async function run(): Promise<void> {
    let failures = 0
    while (!closed) {
      const outcome = await connect()
      if (outcome.kind === 'finished' || closed) return
      // A connection that was established resets the count: its drop is not a failed attempt.
      failures = outcome.connected ? 0 : failures + 1
      if (failures >= settings.reconnect.maxAttempts) return fail(outcome.error)
      await sleep(backoffDelay(failures, settings.reconnect), closer.signal)
    }
  }

  void run()
  return { unsubscribe, finished }
}
