// One subscriber's stream of one task: the engine subscription on one side, the SSE connection
// on the other, plus the hooks, the registry entry and the credential expiry. A class with
// methods rather than a bundle of closures: a thousand idle subscribers should cost little.
import {
  TaskcastError,
  type GoneReason,
  type PreparedSubscription,
  type SSEEnvelope,
  type SubscribeFilter,
  type SubscriptionHandlers,
  type TaskEngine,
  type TaskStatus,
  type TerminalStatus,
} from '@taskcast/core'
import { flatUlid, MAX_TIMER_DELAY_MS } from '@taskcast/core/internal'
import type { RouteContext } from '../route-context.js'
import { sharedEventFrame } from './frame-cache.js'
import { doneFrame, goneFrame } from './frames.js'
import { SseConnection, type SseCloseReason, type SseConnectionOwner } from './sse-connection.js'
import type { SseTransport } from './sse-transport.js'

/**
 * Unread bytes past which the history replay waits for the client. Each paused reader holds about
 * this much (and its encoded copy) in memory: 16 KiB keeps a crowd of 1,000 unread joiners in
 * tens of MiB, while the socket buffers of the OS still keep a reading client busy between windows.
 */
const REPLAY_WINDOW_BYTES = 16 * 1024

/**
 * Replayed bytes after which the replay lets the event loop run, even when the socket takes
 * every window at once: one long replay must not hold up every other connection of the process.
 */
const REPLAY_TURN_BYTES = 512 * 1024

export interface StreamRequest {
  taskId: string
  filter: SubscribeFilter
  /** The log as read and checked for this request; started once the connection is open. */
  prepared: PreparedSubscription
  /** When the caller's credential expires (ms since epoch). */
  expiresAt?: number
  /** Web runtimes: aborts when the client disconnects, also before the response started. */
  disconnected?: AbortSignal
}

export class TaskStream implements SubscriptionHandlers, SseConnectionOwner {
  private readonly connection: SseConnection
  private readonly engine: TaskEngine
  private readonly taskId: string
  private readonly expiresAt: number | undefined
  private readonly disconnected: AbortSignal | undefined
  private readonly clientId = flatUlid()
  private readonly startedAt = Date.now()
  private readonly wrap: boolean
  /** Set once the history replay is over. */
  private live = false
  /** `writtenBytes` when the replay last let the event loop run. */
  private replayTurnStart = 0
  private unsubscribe: (() => void) | undefined
  private expiry: ReturnType<typeof setTimeout> | undefined
  /** Web runtimes only: the listener on the request's abort signal. */
  private onDisconnect: (() => void) | undefined

  /**
   * Registers the connection, runs `onSSEConnect` and subscribes (unless the client is
   * already gone: `clientGone`, or the request's `disconnected` signal).
   */
  static open(ctx: RouteContext, transport: SseTransport, request: StreamRequest, clientGone: boolean): TaskStream {
    return new TaskStream(ctx, transport, request, clientGone)
  }

  private constructor(
    private readonly ctx: RouteContext,
    transport: SseTransport,
    request: StreamRequest,
    clientGone: boolean,
  ) {
    this.engine = ctx.engine
    const { taskId } = request
    this.taskId = taskId
    this.expiresAt = request.expiresAt
    this.disconnected = request.disconnected
    this.wrap = request.filter.wrap !== false
    this.connection = new SseConnection(transport, ctx.sse, this)
    ctx.connections.add(taskId, this.connection)
    this.engine.emitHook('onSSEConnect', taskId, this.clientId)
    // A client gone before the response reached the transport never cancels the stream.
    if (clientGone || request.disconnected?.aborted) this.connection.abort('client-gone')
    else if (request.disconnected) {
      this.onDisconnect = () => this.connection.abort('client-gone')
      request.disconnected.addEventListener('abort', this.onDisconnect, { once: true })
    }

    if (this.connection.isOpen) {
      this.unsubscribe = request.prepared.start(this)
      // The client may have gone while subscribing.
      if (!this.connection.isOpen) this.unsubscribe()
    }
    if (this.expiresAt !== undefined && this.connection.isOpen) this.armExpiry()
  }

  /**
   * The replay waits while a window is unread, so a reader that is slow or gone costs a window,
   * not the log. A full window is handed to the socket first: a reader keeping up takes it at
   * once, and the replay goes on without waiting for the end of the turn.
   */
  replayPause(): Promise<void> | undefined {
    const connection = this.connection
    if (connection.pendingBytes <= REPLAY_WINDOW_BYTES) return undefined
    connection.flush()
    if (connection.pendingBytes <= REPLAY_WINDOW_BYTES && connection.writtenBytes - this.replayTurnStart < REPLAY_TURN_BYTES) {
      return undefined
    }
    this.replayTurnStart = connection.writtenBytes
    return connection.pendingBytes > REPLAY_WINDOW_BYTES ? connection.drained() : nextTurn()
  }

  onEnvelope(envelope: SSEEnvelope): void {
    const frame = sharedEventFrame(envelope, this.wrap, !this.live)
    if (this.live) {
      this.connection.send(frame)
      this.ctx.sseDeliveries.live++
    } else {
      this.connection.sendReplay(frame)
      this.ctx.sseDeliveries.replay++
    }
  }

  onLive(): void {
    this.live = true
  }

  onDone(status: TaskStatus): void {
    this.connection.send(doneFrame(status as TerminalStatus))
    this.connection.end('done')
  }

  /** The task was deleted or vanished: say so, so the client stops rather than reconnecting. */
  onGone(reason: GoneReason): void {
    this.connection.send(goneFrame(this.taskId, reason))
    this.connection.end('gone')
  }

  /** Replay truncated by `limit`: no done frame, the client resumes from its last event. */
  onLimit(): void {
    this.connection.end('limit')
  }

  onError(error: unknown): void {
    if (!isClientError(error)) this.engine.reportError(error, { source: 'sse', taskId: this.taskId })
    this.connection.end('error')
  }

  private armExpiry(): void {
    if (!this.connection.isOpen) return
    const wait = this.expiresAt! - Date.now()
    if (wait <= 0) return this.connection.end('expired')
    this.expiry = setTimeout(() => this.armExpiry(), Math.min(wait, MAX_TIMER_DELAY_MS))
    ;(this.expiry as { unref?: () => void }).unref?.()
  }

  onConnectionClosed(_reason: SseCloseReason): void {
    const { taskId, disconnected } = this
    if (this.onDisconnect) disconnected?.removeEventListener('abort', this.onDisconnect)
    this.unsubscribe?.()
    clearTimeout(this.expiry)
    this.ctx.connections.delete(taskId, this.connection)
    this.engine.emitHook('onSSEDisconnect', taskId, this.clientId, Date.now() - this.startedAt)
  }
}

/** Resolves after the event loop ran (I/O included), not merely after the current microtasks. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)))
}

function isClientError(error: unknown): boolean {
  return TaskcastError.isInstance(error) && error.code !== 'INTERNAL' && error.code !== 'STORE_UNAVAILABLE'
}
