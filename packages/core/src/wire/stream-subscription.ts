// One subscription to a task's SSE stream (SPEC §8): connect, parse, deliver; when the
// connection drops before `taskcast.done`, reconnect with backoff and resume after the last
// delivered event (`since.id`), so the application sees every event once and in order.
import { TaskcastError } from '../errors.js'
import { isPlainObject } from '../json-value.js'
import { toSubscribeSearchParams } from '../query.js'
import { STATUS_EVENT_TYPE, type StatusEventData, type TerminalStatus } from '../types.js'
import { authHeaders } from './auth-headers.js'
import { backoffDelay, sleep } from './backoff.js'
import { networkError, taskcastErrorFromResponse, taskcastErrorFromWire } from './errors-from-http.js'
import { DONE_FRAME, ERROR_FRAME, EVENT_FRAME } from './sse-frames.js'
import { createSSEParser, type SSEMessage } from './sse-parser.js'
import type { ConnectionSettings, DoneReason, SubscribeOptions, TaskEnvelope, TaskSubscription } from './subscription.js'

/** How one connection attempt ended. */
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

/** Aborts an attempt when nothing arrived for `ms` (0: never): how a half-open connection shows. */
class IdleTimer {
  private timer: ReturnType<typeof setTimeout> | undefined
  fired = false

  constructor(
    private readonly ms: number,
    private readonly attempt: AbortController,
  ) {}

  /** Something arrived: the wait starts again. */
  arm(): void {
    if (this.ms <= 0) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.fired = true
      this.attempt.abort()
    }, this.ms)
  }

  clear(): void {
    clearTimeout(this.timer)
  }
}

export class StreamSubscription<TData> {
  /** What `subscribe` returns. */
  readonly handle: TaskSubscription
  private readonly closer = new AbortController()
  private closed = false
  private lastEventId: string | undefined
  private lastRawIndex = -1
  private resolveFinished!: (reason: DoneReason) => void
  private rejectFinished!: (reason: unknown) => void
  // Like fetch: an aborted signal's reason is what the pending promise rejects with.
  private readonly abort = (): void => {
    if (this.close()) this.rejectFinished(this.options.signal?.reason)
  }

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly taskId: string,
    private readonly options: SubscribeOptions<TData>,
  ) {
    const finished = new Promise<DoneReason>((resolve, reject) => {
      this.resolveFinished = resolve
      this.rejectFinished = reject
    })
    // Apps that handle errors in onError, or just unsubscribe, never look at `finished`; its
    // rejection must not reach them as an unhandled rejection (which ends a Node process).
    finished.catch(() => {})
    this.handle = { unsubscribe: () => this.unsubscribe(), finished }
    const { signal } = options
    if (signal?.aborted) {
      this.abort()
      return
    }
    signal?.addEventListener('abort', this.abort, { once: true })
    void this.run()
  }

  private unsubscribe(): void {
    if (this.close()) this.rejectFinished(new DOMException('the subscription was unsubscribed', 'AbortError'))
  }

  /** True for the one call that ends the subscription; every later end is a no-op. */
  private close(): boolean {
    if (this.closed) return false
    this.closed = true
    this.closer.abort()
    this.options.signal?.removeEventListener('abort', this.abort)
    return true
  }

  private fail(error: TaskcastError): void {
    if (!this.close()) return
    invoke(this.options.onError, error)
    this.rejectFinished(error)
  }

  /** Connects until the stream is finished, backing off between failed attempts. */
  private async run(): Promise<void> {
    let failures = 0
    while (!this.closed) {
      const outcome = await this.connect()
      if (outcome.kind === 'finished' || this.closed) return
      // A connection that was established resets the count: its drop is not a failed attempt.
      failures = outcome.connected ? 0 : failures + 1
      if (failures >= this.settings.reconnect.maxAttempts) return this.fail(outcome.error)
      await sleep(backoffDelay(failures, this.settings.reconnect), this.closer.signal)
    }
  }

  private url(): string {
    const { wrap: _ignored, ...filter } = this.options.filter ?? {}
    // After a drop, the last delivered event is the cursor; the caller's own cursor only
    // applies to the first connection (the server would otherwise prefer since.id anyway).
    if (this.lastEventId !== undefined) filter.since = { id: this.lastEventId }
    const query = toSubscribeSearchParams({
      filter,
      ...(this.options.seriesFormat !== undefined && { seriesFormat: this.options.seriesFormat }),
    }).toString()
    const base = this.settings.baseUrl.replace(/\/+$/, '')
    return `${base}/tasks/${encodeURIComponent(this.taskId)}/events${query ? `?${query}` : ''}`
  }

  /** One connection: open it, then read frames until the stream finishes, drops or goes idle. */
  private async connect(): Promise<Outcome> {
    const attempt = new AbortController()
    const abortAttempt = (): void => attempt.abort()
    this.closer.signal.addEventListener('abort', abortAttempt, { once: true })
    const idle = new IdleTimer(this.settings.reconnect.idleTimeoutMs, attempt)
    let connected = false
    try {
      const headers = { accept: 'text/event-stream', ...(await authHeaders(this.settings.token)) }
      if (this.closed) return { kind: 'finished' }
      const response = await this.settings.fetch(this.url(), { headers, signal: attempt.signal })
      if (!response.ok) {
        const error = await taskcastErrorFromResponse(response)
        if (error.retryable) return { kind: 'retry', error, connected }
        this.fail(error)
        return { kind: 'finished' }
      }
      const contentType = response.headers.get('content-type') ?? ''
      if (!response.body || !contentType.startsWith('text/event-stream')) {
        void response.body?.cancel().catch(() => {})
        this.fail(new TaskcastError('INTERNAL', `expected an event stream, got "${contentType}"`))
        return { kind: 'finished' }
      }
      connected = true
      if (await this.readStream(response.body, idle)) return { kind: 'finished' }
      return { kind: 'retry', error: networkError(undefined, 'the stream ended before the task finished'), connected }
    } catch (error) {
      if (this.closed) return { kind: 'finished' }
      if (idle.fired) {
        const ms = this.settings.reconnect.idleTimeoutMs
        return { kind: 'retry', error: networkError(error, `no data for ${ms} ms`), connected }
      }
      if (TaskcastError.isInstance(error)) {
        // Only the token source throws these; they are the application's answer, not a glitch.
        this.fail(error)
        return { kind: 'finished' }
      }
      return { kind: 'retry', error: networkError(error), connected }
    } finally {
      idle.clear()
      this.closer.signal.removeEventListener('abort', abortAttempt)
    }
  }

  /** Reads frames to the end of the body; resolves true when the stream is finished for good. */
  private async readStream(body: ReadableStream<Uint8Array>, idle: IdleTimer): Promise<boolean> {
    const reader = body.getReader()
    let finished = false
    const parser = createSSEParser((message) => {
      if (!finished) finished = this.deliver(message)
    })
    idle.arm()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      idle.arm()
      parser.push(value)
      if (finished) {
        void reader.cancel().catch(() => {})
        return true
      }
    }
    parser.end()
    return finished
  }

  /** Hands one frame on; returns true when the stream is finished for good (done, or a fatal error). */
  private deliver(message: SSEMessage): boolean {
    if (this.closed) return true
    if (message.event === EVENT_FRAME) return this.onEventFrame(message.data)
    if (message.event === DONE_FRAME) return this.onDoneFrame(message.data)
    if (message.event === ERROR_FRAME) return this.onErrorFrame(message.data)
    // Frame names this version does not know are skipped, for forward compatibility.
    return false
  }

  private onEventFrame(data: string): boolean {
    let envelope: TaskEnvelope<TData>
    try {
      envelope = JSON.parse(data) as TaskEnvelope<TData>
    } catch (cause) {
      this.fail(new TaskcastError('INTERNAL', 'the server sent an event that is not JSON', { cause }))
      return true
    }
    // Resuming with since.id never repeats an event; this guards against a server that does.
    if (envelope.rawIndex <= this.lastRawIndex) return false
    this.lastRawIndex = envelope.rawIndex
    this.lastEventId = envelope.eventId
    invoke(this.options.onEvent, envelope)
    if (envelope.type === STATUS_EVENT_TYPE && !this.closed) {
      const status = envelope as unknown as TaskEnvelope<StatusEventData>
      invoke(this.options.onStatus, status.data.status, status)
    }
    return this.closed
  }

  private onDoneFrame(data: string): boolean {
    let reason: TerminalStatus
    try {
      reason = (JSON.parse(data) as { reason: TerminalStatus }).reason
    } catch (cause) {
      this.fail(new TaskcastError('INTERNAL', 'the server sent a done frame that is not JSON', { cause }))
      return true
    }
    if (this.close()) {
      invoke(this.options.onDone, reason)
      this.resolveFinished(reason)
    }
    return true
  }

  /** The stream cannot go on (the task went away): whatever the code, reconnecting would not help. */
  private onErrorFrame(data: string): boolean {
    let wire: unknown
    try {
      wire = JSON.parse(data)
    } catch {
      wire = undefined
    }
    const fallback = { code: 'INTERNAL' as const, message: 'the server ended the stream with an error', retryable: false }
    this.fail(taskcastErrorFromWire(isPlainObject(wire) ? wire : {}, fallback))
    return true
  }
}
