// GET /events: one live SSE stream of every task's events (SPEC §21).
import { TaskcastError } from '@taskcast/core'
import { parseGlobalStreamParams } from '@taskcast/core/wire'
import { getAuth, requireScope } from '../auth/index.js'
import type { RouteContext, TaskcastHono } from '../route-context.js'
import { GlobalStream } from '../sse/global-stream.js'
import { streamResponse, streamTarget } from '../sse/stream-response.js'

export function registerGlobalEventsRoute(app: TaskcastHono, ctx: RouteContext): void {
  app.get('/events', requireScope('event:subscribe'), (c) => {
    if (ctx.connections.isClosing) throw new TaskcastError('STORE_UNAVAILABLE', 'the server is shutting down')
    if (!ctx.engine.canWatchEvents) {
      throw new TaskcastError('VALIDATION_ERROR', 'this server\'s broadcast provider cannot stream every task')
    }
    const target = streamTarget(c)
    const filter = parseGlobalStreamParams(new URL(c.req.url).searchParams)
    const auth = getAuth(c)
    return streamResponse(c, target, (transport, clientGone, disconnected) =>
      GlobalStream.open(ctx, transport, { filter, auth, disconnected }, clientGone),
    )
  })
}
