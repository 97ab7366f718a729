// One watcher's stream of every task (`GET /events`, SPEC §21): the engine's global feed on
// one side, an SSE connection on the other, with the caller's grant applied per task.
import { compileFilter, matchesType, TASK_CREATED_TYPE, type EventPredicate, type TaskEvent, type TaskFacts } from '@taskcast/core'
import { MAX_TIMER_DELAY_MS, toEnvelope } from '@taskcast/core/internal'
import type { GlobalStreamFilter } from '@taskcast/core/wire'
import { canAccessTask, taskRulesAllow, type AuthContext } from '../auth/index.js'
import type { RouteContext } from '../route-context.js'
import { sharedEventFrame } from './frame-cache.js'
import { SseConnection, type SseConnectionOwner } from './sse-connection.js'
import type { SseTransport } from './sse-transport.js'

/** The registry key of global streams: no task id is empty. */
export const GLOBAL_STREAM_KEY = ''

export interface GlobalStreamRequest {
  filter: GlobalStreamFilter
  auth: AuthContext
  /** Web runtimes: aborts when the client disconnects. */
  disconnected?: AbortSignal
}

export class GlobalStream implements SseConnectionOwner {
  private readonly connection: SseConnection
  private readonly selects: EventPredicate
  /** Creation notices go with status events: both tell where a task is in its life. */
  private readonly includeCreated: boolean
  private readonly taskTypes: string[] | undefined
  private readonly auth: AuthContext
  private unsubscribe: (() => void) | undefined
  private expiry: ReturnType<typeof setTimeout> | undefined
  private onDisconnect: (() => void) | undefined

  static open(ctx: RouteContext, transport: SseTransport, request: GlobalStreamRequest, clientGone: boolean): GlobalStream {
    return new GlobalStream(ctx, transport, request, clientGone)
  }

  private constructor(
    private readonly ctx: RouteContext,
    transport: SseTransport,
    private readonly request: GlobalStreamRequest,
    clientGone: boolean,
  ) {
    const { filter, auth } = request
    this.selects = compileFilter(filter)
    this.includeCreated = filter.includeStatus !== false
    this.taskTypes = filter.taskTypes
    this.auth = auth
    this.connection = new SseConnection(transport, ctx.sse, this)
    ctx.connections.add(GLOBAL_STREAM_KEY, this.connection)
    if (clientGone || request.disconnected?.aborted) this.connection.abort('client-gone')
    else if (request.disconnected) {
      this.onDisconnect = () => this.connection.abort('client-gone')
      request.disconnected.addEventListener('abort', this.onDisconnect, { once: true })
    }
    if (!this.connection.isOpen) return
    this.unsubscribe = ctx.engine.watchEvents((event, task) => this.onEvent(event, task))
    if (auth.expiresAt !== undefined) this.armExpiry()
  }

  private onEvent(event: TaskEvent, task: TaskFacts): void {
    if (event.type === TASK_CREATED_TYPE ? !this.includeCreated : !this.selects(event)) return
    if (this.taskTypes && (task.type === undefined || !matchesType(this.taskTypes, task.type))) return
    if (!canAccessTask(this.auth, event.taskId) || !taskRulesAllow(this.auth, task, 'event:subscribe')) return
    // No per-task filter position exists in a stream of every task: filteredIndex is the event's
    // index (-1 for a creation notice, which precedes the log), so every watcher gets the same
    // bytes and one encoding serves them all.
    const envelope = toEnvelope({ event, filteredIndex: event.index, data: event.data })
    this.connection.send(sharedEventFrame(envelope, true, false))
    this.ctx.sseDeliveries.live++
  }

  private armExpiry(): void {
    if (!this.connection.isOpen) return
    const wait = this.auth.expiresAt! - Date.now()
    if (wait <= 0) return this.connection.end('expired')
    this.expiry = setTimeout(() => this.armExpiry(), Math.min(wait, MAX_TIMER_DELAY_MS))
    ;(this.expiry as { unref?: () => void }).unref?.()
  }

  onConnectionClosed(): void {
    if (this.onDisconnect) this.request.disconnected?.removeEventListener('abort', this.onDisconnect)
    this.unsubscribe?.()
    clearTimeout(this.expiry)
    this.ctx.connections.delete(GLOBAL_STREAM_KEY, this.connection)
  }
}
