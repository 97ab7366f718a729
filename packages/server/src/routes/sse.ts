// GET /tasks/:id/events: the SSE stream of one task (SPEC §8).
//
// Everything that can fail because of the request (bad query, missing task, unknown
// since.id, auth) is checked before the response starts, so it gets a JSON error with the
// right status; once streaming, the only way to say "stop" is to end the stream.
import {
  parseSubscribeQuery,
  TaskcastError,
  type SeriesFormat,
  type SubscribeFilter,
  type TerminalStatus,
} from '@taskcast/core'
import type { Context } from 'hono'
import { streamSSE, type SSEStreamingApi } from 'hono/streaming'
import { getAuth, requireScope } from '../auth/index.js'
import type { RouteContext, TaskcastEnv, TaskcastHono } from '../route-context.js'
import { authorizeTask } from '../route-context.js'
import { doneFrame, eventFrame } from '../sse/frames.js'
import { SseConnection } from '../sse/sse-connection.js'

/** setTimeout's largest delay; longer waits are done in steps. */
const MAX_TIMER_MS = 2_147_483_647

interface StreamRequest {
  taskId: string
  filter: SubscribeFilter
  seriesFormat?: SeriesFormat
  limit?: number
  /** When the caller's credential expires (ms since epoch). */
  expiresAt?: number
  /** Aborts when the client disconnects, also before the response started. */
  disconnected: AbortSignal
}

export function registerSseRoute(app: TaskcastHono, ctx: RouteContext): void {
  app.get('/tasks/:id/events', requireScope('event:subscribe'), async (c) => {
    if (ctx.connections.isClosing) throw new TaskcastError('STORE_UNAVAILABLE', 'the server is shutting down')
    // Read now: @hono/node-server only wires client disconnects to the signal once it exists.
    const disconnected = c.req.raw.signal
    const taskId = c.req.param('id')
    const { filter, seriesFormat, limit } = parseSubscribeQuery(new URL(c.req.url).searchParams)
    // EventSource sends this on reconnect; it is newer than any cursor still in the URL.
    const lastEventId = c.req.header('Last-Event-ID')?.trim()
    if (lastEventId) filter.since = { ...filter.since, id: lastEventId }

    await authorizeTask(ctx, c, taskId, 'event:subscribe')
    if (filter.since?.id !== undefined) {
      // Throws VALIDATION_ERROR for an id that is not in the log; after the headers it could only end the stream.
      await ctx.engine.getEvents(taskId, { filter: { since: { id: filter.since.id } }, limit: 1 })
    }

    c.header('X-Accel-Buffering', 'no')
    if (c.req.method === 'HEAD') {
      // Hono answers HEAD with the GET handler and drops the body unread: a stream would never end.
      return c.body(null, 200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
    }
    const request: StreamRequest = { taskId, filter, seriesFormat, limit, expiresAt: getAuth(c).expiresAt, disconnected }
    return streamSSE(c, (stream) => streamTask(ctx, c, stream, request))
  })
}

async function streamTask(ctx: RouteContext, c: Context<TaskcastEnv>, stream: SSEStreamingApi, request: StreamRequest): Promise<void> {
  const { engine, connections } = ctx
  const { taskId, filter } = request
  const wrap = filter.wrap !== false
  const clientId = crypto.randomUUID()
  const startedAt = Date.now()
  let unsubscribe: (() => void) | undefined
  let expiry: ReturnType<typeof setTimeout> | undefined
  // A client gone before the response reached the transport never cancels the stream.
  const onDisconnect = (): void => connection.abort('client-gone')

  const connection: SseConnection = new SseConnection(stream, {
    heartbeatMs: ctx.sse.heartbeatMs,
    maxBufferedBytes: ctx.sse.maxBufferedBytes,
    destroyTransport: nodeResponseDestroyer(c),
    onClose: () => {
      request.disconnected.removeEventListener('abort', onDisconnect)
      unsubscribe?.()
      clearTimeout(expiry)
      connections.delete(taskId, connection)
      engine.emitHook('onSSEDisconnect', taskId, clientId, Date.now() - startedAt)
    },
  })
  connections.add(taskId, connection)
  engine.emitHook('onSSEConnect', taskId, clientId)
  if (request.disconnected.aborted) onDisconnect()
  else request.disconnected.addEventListener('abort', onDisconnect, { once: true })

  if (connection.isOpen) {
    unsubscribe = subscribe()
    // The client may have gone while subscribing.
    if (!connection.isOpen) unsubscribe()
  }
  if (request.expiresAt !== undefined && connection.isOpen) {
    const expiresAt = request.expiresAt
    const arm = (): void => {
      if (!connection.isOpen) return
      const wait = expiresAt - Date.now()
      if (wait <= 0) return connection.end('expired')
      expiry = setTimeout(arm, Math.min(wait, MAX_TIMER_MS))
      ;(expiry as { unref?: () => void }).unref?.()
    }
    arm()
  }
  await connection.ended

  function subscribe(): () => void {
    return engine.subscribe(
      taskId,
      filter,
      {
        onEnvelope: (envelope) => connection.send(eventFrame(envelope, wrap)),
        onDone: (status) => {
          connection.send(doneFrame(status as TerminalStatus))
          connection.end('done')
        },
        // Replay truncated by `limit`: no done frame, the client resumes from its last event.
        onLimit: () => connection.end('limit'),
        onError: (error) => {
          if (!isClientError(error)) engine.reportError(error, { source: 'sse', taskId })
          connection.end('error')
        },
      },
      { seriesFormat: request.seriesFormat, limit: request.limit },
    )
  }
}

function isClientError(error: unknown): boolean {
  return TaskcastError.isInstance(error) && error.code !== 'INTERNAL' && error.code !== 'STORE_UNAVAILABLE'
}

/**
 * Dropping a stuck client must close its socket: @hono/node-server waits for the socket's
 * `drain` before reading the response stream again, so an aborted stream alone would leave
 * the connection (and its kernel buffers) open until the client gives up.
 */
function nodeResponseDestroyer(c: Context<TaskcastEnv>): (() => void) | undefined {
  const outgoing = (c.env as { outgoing?: { destroy?: unknown } } | undefined)?.outgoing
  if (!outgoing || typeof outgoing.destroy !== 'function') return undefined
  return () => (outgoing.destroy as () => void).call(outgoing)
}
