// GET /tasks/:id/events: the SSE stream of one task (SPEC §8).
//
// Everything that can fail because of the request (bad query, missing task, unknown
// since.id, auth) is checked before the response starts, so it gets a JSON error with the
// right status; once streaming, the only way to say "stop" is to end the stream.
import { isTerminalStatus, TaskcastError } from '@taskcast/core'
import { parseSubscribeQuery } from '@taskcast/core/wire'
import { getAuth } from '../auth/index.js'
import type { RouteContext, TaskcastHono } from '../route-context.js'
import { taskRoute } from '../route-context.js'
import { streamResponse, streamTarget } from '../sse/stream-response.js'
import { TaskStream } from '../sse/task-stream.js'

export function registerSseRoute(app: TaskcastHono, ctx: RouteContext): void {
  app.get('/tasks/:id/events', taskRoute(ctx, 'event:subscribe'), async (c) => {
    if (ctx.connections.isClosing) throw new TaskcastError('STORE_UNAVAILABLE', 'the server is shutting down')
    const target = streamTarget(c)
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
    const expiresAt = getAuth(c).expiresAt
    return streamResponse(c, target, (transport, clientGone, disconnected) =>
      TaskStream.open(ctx, transport, { taskId, filter, prepared, expiresAt, disconnected }, clientGone),
    )
  })
}
