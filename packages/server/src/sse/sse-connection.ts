// One open SSE response: ordered writes, a bound on bytes the client has not read yet, a
// heartbeat, and two ways to end (clean, or dropped on the floor).
import type { SSEStreamingApi } from 'hono/streaming'
import { PING_FRAME } from './frames.js'

/** Why a connection ended; passed to `onClose`. */
export type SseCloseReason =
  | 'done' // the task reached a terminal status
  | 'limit' // the replay hit the request's `limit`
  | 'error' // the subscription failed
  | 'expired' // the caller's credential expired
  | 'deleted' // the task was deleted through this server
  | 'shutdown' // app.close()
  | 'client-gone' // the client disconnected
  | 'overflow' // the client stopped reading

export interface SseConnectionOptions {
  heartbeatMs: number
  maxBufferedBytes: number
  /** Tears down the socket, where the runtime exposes it (Node's `ServerResponse`). */
  destroyTransport?: () => void
  /** Called exactly once, synchronously, when the connection ends for any reason. */
  onClose: (reason: SseCloseReason) => void
}

const encoder = new TextEncoder()

export class SseConnection {
  private state: 'open' | 'ending' | 'aborted' = 'open'
  /** Bytes handed to the stream that the transport has not taken yet. */
  private queuedBytes = 0
  /** The unread part of the first synchronous burst (the history replay); see `send`. */
  private replayBytes = 0
  private burst: 'not-started' | 'open' | 'over' = 'not-started'
  private readonly heartbeat: ReturnType<typeof setInterval>
  private drainWaiters: (() => void)[] = []
  private resolveEnded!: (reason: SseCloseReason) => void
  /** Resolves when the connection ended; the stream callback awaits it, then Hono closes the response. */
  readonly ended = new Promise<SseCloseReason>((resolve) => {
    this.resolveEnded = resolve
  })

  constructor(
    private readonly stream: SSEStreamingApi,
    private readonly options: SseConnectionOptions,
  ) {
    stream.onAbort(() => this.abort('client-gone'))
    this.heartbeat = setInterval(() => {
      // Bytes still in flight mean the line is not idle; piling pings on a stuck client helps no one.
      if (this.queuedBytes === 0) this.write(PING_FRAME, false)
    }, options.heartbeatMs)
    // The open socket keeps a server process alive; the timer alone must not.
    ;(this.heartbeat as { unref?: () => void }).unref?.()
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  /** Queues a frame. Past the buffer limit the connection is dropped instead (the client can resume). */
  send(frame: string): void {
    this.write(frame, true)
  }

  private write(frame: string, isEvent: boolean): void {
    if (this.state !== 'open') return
    const bytes = encoder.encode(frame)
    const size = bytes.byteLength
    // The history replay is written in one synchronous burst, from memory the engine already
    // held; counting it would cut healthy clients of long tasks. The limit applies to what is
    // queued beyond the still-unread part of that first burst of events (a ping that went
    // out while the log was being read does not start it).
    if (this.burst === 'not-started' && isEvent) {
      this.burst = 'open'
      queueMicrotask(() => {
        this.burst = 'over'
      })
    }
    if (this.burst === 'open') this.replayBytes += size
    else if (this.queuedBytes - this.replayBytes > this.options.maxBufferedBytes) {
      this.abort('overflow')
      return
    }
    this.queuedBytes += size
    // StreamingApi.write resolves once the transport read the chunk, and swallows write errors
    // (the stream was aborted: the bytes are gone either way).
    void this.stream.write(bytes).then(() => this.taken(size))
  }

  /** Ends cleanly: frames already queued are still delivered, then the response ends. */
  end(reason: SseCloseReason): void {
    if (this.state !== 'open') return
    this.state = 'ending'
    this.finish(reason)
  }

  /** Ends now: queued frames are discarded and the socket is closed. */
  abort(reason: SseCloseReason): void {
    if (this.state === 'aborted') return
    const wasOpen = this.state === 'open'
    this.state = 'aborted'
    this.stream.abort()
    this.options.destroyTransport?.()
    this.queuedBytes = 0
    this.releaseDrainWaiters()
    if (wasOpen) this.finish(reason)
  }

  /** Resolves once the transport took every queued byte (at once when nothing is queued). */
  drained(): Promise<void> {
    if (this.queuedBytes === 0) return Promise.resolve()
    return new Promise((resolve) => this.drainWaiters.push(resolve))
  }

  private taken(size: number): void {
    if (this.state === 'aborted') return
    this.queuedBytes -= size
    // Chunks leave in order, so the first bytes taken are the replay's.
    this.replayBytes = Math.max(0, this.replayBytes - size)
    if (this.queuedBytes === 0) this.releaseDrainWaiters()
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const resolve of waiters) resolve()
  }

  private finish(reason: SseCloseReason): void {
    clearInterval(this.heartbeat)
    this.options.onClose(reason)
    this.resolveEnded(reason)
  }
}
