// GET /tasks/:id/events: the SSE stream of one task (SPEC §8).
//
// Everything that can fail because of the request (bad query, missing task, unknown
// since.id, auth) is checked before the response starts, so it gets a JSON error with the
// right status; once streaming, the only way to say "stop" is to end the stream.
import { isTerminalStatus, TaskcastError } from '@taskcast/core'
import { parseSubscribeQuery } from '@taskcast/core/wire'
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import { getAuth } from '../auth/index.js'
import type { RouteContext, TaskcastEnv, TaskcastHono } from '../route-context.js'
import { taskRoute } from '../route-context.js'
import { isNodeResponse, NodeSseTransport, type NodeResponse } from '../sse/node-sse-transport.js'
import { TaskStream, type StreamRequest } from '../sse/task-stream.js'
import { WebSseTransport } from '../sse/web-sse-transport.js'

/** The headers of every stream (those of Hono's `streamSSE`). */
const STREAM_HEADERS = {
  'Transfer-Encoding': 'chunked',
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
}

/** What @hono/node-server passes as `c.env` (its documented `HttpBindings`), as far as used here. */
interface NodeEnv {
  outgoing?: unknown
}

export function registerSseRoute(app: TaskcastHono, ctx: RouteContext): void {
  app.get('/tasks/:id/events', taskRoute(ctx, 'event:subscribe'), async (c) => {
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
    const lastEventId = c.req.header('Last-Event-ID')?.trim()
    if (lastEventId) filter.since = { ...filter.since, id: lastEventId }

    // The log is read once, here: an unknown since.id is a VALIDATION_ERROR while a JSON answer
    // can still say so; after the headers it could only end the stream.
    const prepared = await ctx.engine.prepareSubscription(taskId, filter, { seriesFormat, limit, task: c.get('task') })
    // An EventSource reconnects for ever unless answered 204: a finished task with nothing
    // after its last event has nothing more to say to it.
    if (lastEventId && prepared.replayEmpty && isTerminalStatus(prepared.task.status)) {
      return c.body(null, 204)
    }

    c.header('X-Accel-Buffering', 'no')
    if (c.req.method === 'HEAD') {
      // Hono answers HEAD with the GET handler and drops the body unread: a stream would never end.
      return c.body(null, 200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
    }
    const request: StreamRequest = { taskId, filter, prepared, expiresAt: getAuth(c).expiresAt, disconnected }
    if (node) return streamToNode(ctx, c, node, request)
    return streamSSE(c, (stream) => {
      const transport = new WebSseTransport(stream)
      TaskStream.open(ctx, transport, request, false)
      return transport.ended
    })
  })
}

/**
 * Starts the stream on Node's response. Hono gets a streaming Response whose body the transport
 * owns: the adapter writes the final headers (what middleware added after the handler
 * included), then the transport writes the frames itself.
 */
function streamToNode(ctx: RouteContext, c: Context<TaskcastEnv>, res: NodeResponse, request: StreamRequest): Response {
  const transport = new NodeSseTransport(res)
  TaskStream.open(ctx, transport, request, transport.clientGone)
  return c.body(transport.body, 200, STREAM_HEADERS)
}
