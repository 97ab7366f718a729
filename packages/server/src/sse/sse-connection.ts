// One open SSE response: ordered writes, a bound on bytes the client has not read yet, a
// heartbeat, and two ways to end (clean, or dropped on the floor). The bytes themselves go
// through an SseTransport (Node's response directly, or a web stream).
import { PING_FRAME, retryFrame } from './frames.js'
import type { SseChunk, SseTransport, SseTransportListener } from './sse-transport.js'

/** Why a connection ended; passed to `onClose`. */
export type SseCloseReason =
  | 'done' // the task reached a terminal status
  | 'limit' // the replay hit the request's `limit`
  | 'error' // the subscription failed
  | 'expired' // the caller's credential expired
  | 'gone' // the task was deleted, or vanished from the store
  | 'shutdown' // app.close()
  | 'client-gone' // the client disconnected
  | 'overflow' // the client stopped reading

export interface SseConnectionOptions {
  heartbeatMs: number
  maxBufferedBytes: number
  retryMs: number
}

/** Who is told when the connection ends. */
export interface SseConnectionOwner {
  /** Called exactly once, synchronously, when the connection ends for any reason. */
  onConnectionClosed(reason: SseCloseReason): void
}

export class SseConnection implements SseTransportListener {
  private state: 'open' | 'ending' | 'aborted' = 'open'
  /** Where the history replay ends in the byte stream so far; its unread part does not count against the limit. */
  private replayEnd = 0
  private readonly heartbeat: ReturnType<typeof setInterval>
  private drainWaiters: (() => void)[] | undefined

  private readonly maxBufferedBytes: number

  constructor(
    private readonly transport: SseTransport,
    options: SseConnectionOptions,
    private readonly owner: SseConnectionOwner,
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes
    transport.attach(this)
    transport.write(retryFrame(options.retryMs))
    // A shared callback with the connection as argument: no closure per connection.
    this.heartbeat = setInterval(beat, options.heartbeatMs, this)
    // The open socket keeps a server process alive; the timer alone must not.
    ;(this.heartbeat as { unref?: () => void }).unref?.()
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  /** Bytes written that the client has not taken yet. */
  get pendingBytes(): number {
    return this.transport.pendingBytes
  }

  /** Bytes queued so far, sent or not. */
  get writtenBytes(): number {
    return this.transport.writtenBytes
  }

  /** Queues a frame. Past the buffer limit the connection is dropped instead (the client can resume). */
  send(frame: SseChunk): void {
    if (this.state !== 'open') return
    const transport = this.transport
    const pending = transport.pendingBytes
    // Bytes leave in order, so the first bytes taken are the replay's. The replay is paced by
    // its producer (it waits for the socket between windows), so only what is queued beyond
    // its unread part says whether this client keeps up.
    const unreadReplay = Math.max(0, this.replayEnd - (transport.writtenBytes - pending))
    if (pending - unreadReplay > this.maxBufferedBytes) {
      this.abort('overflow')
      return
    }
    transport.write(frame)
  }

  /** Queues a frame of the history replay, whose pace the replay sets itself (see `TaskStream.replayPause`). */
  sendReplay(frame: SseChunk): void {
    if (this.state !== 'open') return
    this.transport.write(frame)
    this.replayEnd = this.transport.writtenBytes
  }

  /** Hands what is queued to the socket now; a replay does, so that a window the socket can take is not a wait. */
  flush(): void {
    if (this.state === 'open') this.transport.flush?.()
  }

  /** Ends cleanly: frames already queued are still delivered, then the response ends. */
  end(reason: SseCloseReason): void {
    if (this.state !== 'open') return
    this.state = 'ending'
    this.transport.end()
    this.finish(reason)
  }

  /** Ends now: queued frames are discarded and the socket is closed. */
  abort(reason: SseCloseReason): void {
    if (this.state === 'aborted') return
    const wasOpen = this.state === 'open'
    this.state = 'aborted'
    this.transport.destroy()
    this.releaseDrainWaiters()
    if (wasOpen) this.finish(reason)
  }

  /** The heartbeat: bytes still in flight mean the line is not idle; piling pings on a stuck client helps no one. */
  ping(): void {
    if (this.transport.pendingBytes === 0) this.send(PING_FRAME)
  }

  onClientGone(): void {
    this.abort('client-gone')
  }

  onTransportDrained(): void {
    this.releaseDrainWaiters()
  }

  /** Resolves once the transport took every queued byte (at once when nothing is queued). */
  drained(): Promise<void> {
    if (this.state === 'aborted' || this.transport.pendingBytes === 0) return Promise.resolve()
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve))
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters
    if (!waiters) return
    this.drainWaiters = undefined
    for (const resolve of waiters) resolve()
  }

  private finish(reason: SseCloseReason): void {
    clearInterval(this.heartbeat)
    this.owner.onConnectionClosed(reason)
  }
}

function beat(connection: SseConnection): void {
  connection.ping()
}
