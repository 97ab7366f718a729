// GET /tasks/:id/events: the SSE stream of one task (SPEC §8).
//
// Everything that can fail because of the request (bad query, missing task, unknown
// since.id, auth) is checked before the response starts, so it gets a JSON error with the
// right status; once streaming, the only way to say "stop" is to end the stream.
import { parseSubscribeQuery, TaskcastError } from '@taskcast/core'
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import { getAuth, requireScope } from '../auth/index.js'
import type { RouteContext, TaskcastEnv, TaskcastHono } from '../route-context.js'
import { authorizeTask } from '../route-context.js'
import { ALREADY_SENT_HEADER, isNodeResponse, NodeSseTransport, toNodeHeaders, type NodeResponse } from '../sse/node-sse-transport.js'
import { TaskStream, type StreamRequest } from '../sse/task-stream.js'
import { WebSseTransport } from '../sse/web-sse-transport.js'

/** The headers of every stream (those of Hono's `streamSSE`). */
const STREAM_HEADERS = {
  'Transfer-Encoding': 'chunked',
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
}

interface NodeEnv {
  incoming?: { headers?: Record<string, string | string[] | undefined> }
  outgoing?: unknown
}

export function registerSseRoute(app: TaskcastHono, ctx: RouteContext): void {
  app.get('/tasks/:id/events', requireScope('event:subscribe'), async (c) => {
    if (ctx.connections.isClosing) throw new TaskcastError('STORE_UNAVAILABLE', 'the server is shutting down')
    const env = c.env as NodeEnv | undefined
    // On Node the stream writes to the ServerResponse itself; elsewhere it is a web stream.
    const outgoing = env?.outgoing
    const node = isNodeResponse(outgoing) ? outgoing : undefined
    // Read now: @hono/node-server only wires client disconnects to the signal once it exists.
    // On Node the response's own `close` tells instead, without building a full Request.
    const disconnected = node ? undefined : c.req.raw.signal
    const taskId = c.req.param('id')
    const { filter, seriesFormat, limit } = parseSubscribeQuery(new URL(c.req.url).searchParams)
    // EventSource sends this on reconnect; it is newer than any cursor still in the URL.
    const lastEventId = (node ? nodeHeader(env, 'last-event-id') : c.req.header('Last-Event-ID'))?.trim()
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
    if (node) return streamToNode(ctx, c, node, request)
    return streamSSE(c, (stream) => {
      const transport = new WebSseTransport(stream)
      TaskStream.open(ctx, transport, request, false)
      return transport.ended
    })
  })
}

/**
 * Starts the stream on Node's response and answers Hono with an empty response that
 * @hono/node-server leaves alone. The head is written on the transport's first flush, from
 * the final headers of that response (what middleware added after the handler included).
 */
function streamToNode(ctx: RouteContext, c: Context<TaskcastEnv>, res: NodeResponse, request: StreamRequest): Response {
  const transport = new NodeSseTransport(res, () => toNodeHeaders(c.res.headers))
  TaskStream.open(ctx, transport, request, transport.clientGone)
  return c.body(null, 200, { ...STREAM_HEADERS, [ALREADY_SENT_HEADER]: '1' })
}

function nodeHeader(env: NodeEnv | undefined, name: string): string | undefined {
  const value = env?.incoming?.headers?.[name]
  return Array.isArray(value) ? value.join(', ') : value
}
