// Event routes: publish one event or a batch, and read filtered history (SPEC §7).
import { TaskcastError, type PublishEventInput } from '@taskcast/core'
import { parseSubscribeQuery, producerStampFromHeaders } from '@taskcast/core/wire'
import { requireScope } from '../auth/index.js'
import { jsonBody, limitBody } from '../middleware/json-body.js'
import { admitFor, taskGrant, taskRoute, type RouteContext, type TaskcastHono } from '../route-context.js'

export function registerEventRoutes(app: TaskcastHono, ctx: RouteContext): void {
  const { engine } = ctx
  const { maxBatchSize, maxBodyBytes } = ctx.limits
  const bodyLimit = limitBody(maxBodyBytes)

  // The body is read before the task is: see `jsonBody`. The task's own rules apply in the
  // engine, which remembers them (they never change) instead of reading the task every time.
  const publish = [requireScope('event:publish'), bodyLimit, jsonBody(), taskGrant('event:publish')] as const
  app.post('/tasks/:id/events', ...publish, async (c) => {
    const taskId = c.req.param('id')
    const body = c.get('json')
    if (Array.isArray(body) && body.length > maxBatchSize) {
      // A size limit, like the body limit: same status, so clients handle both by splitting.
      throw new TaskcastError('PAYLOAD_TOO_LARGE', `a batch holds at most ${maxBatchSize} events (got ${body.length})`)
    }
    // The engine validates every item (and stores nothing when one is invalid).
    const inputs = (Array.isArray(body) ? body : [body]) as PublishEventInput[]
    const stamp = producerStampFromHeaders((name) => c.req.header(name))
    const started = performance.now()
    // An idempotent producer's request (SPEC §19): a retry is answered 200 with what it stored.
    const { events, retry } = await engine.publishAdmitted(taskId, inputs, admitFor(c, 'event:publish'), stamp)
    ctx.metrics?.observePublish((performance.now() - started) / 1000)
    return c.json(Array.isArray(body) ? events : events[0], retry ? 200 : 201)
  })

  app.get('/tasks/:id/events/history', taskRoute(ctx, 'event:history'), async (c) => {
    const taskId = c.req.param('id')
    const { filter, seriesFormat, limit } = parseSubscribeQuery(new URL(c.req.url).searchParams)
    // History is always the stored events: `wrap` only means something for SSE.
    const { wrap: _wrap, ...historyFilter } = filter
    return c.json(await engine.getEvents(taskId, { filter: historyFilter, seriesFormat, limit }), 200)
  })
}
