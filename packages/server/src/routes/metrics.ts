// GET /metrics: the app's Prometheus registry in the text exposition format (SPEC §21). Outside
// the API's auth: a scraper holds no JWT; with `metrics.token` it sends that bearer token instead.
import { createHash, timingSafeEqual } from 'node:crypto'
import { TaskcastError } from '@taskcast/core'
import { readBearerToken } from '../auth/bearer-token.js'
import type { TaskcastMetrics } from '../metrics/taskcast-metrics.js'
import type { TaskcastHono } from '../route-context.js'

export function registerMetricsRoute(app: TaskcastHono, metrics: TaskcastMetrics, token: string | undefined): void {
  const authorize = token === undefined ? undefined : tokenCheck(token)
  app.get('/metrics', async (c) => {
    authorize?.(c.req.header('Authorization'))
    const { registry } = metrics
    return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType })
  })
}

/** Compares digests, in constant time: neither the token nor its length shows in response times. */
function tokenCheck(token: string): (header: string | undefined) => void {
  const expected = digest(token)
  return (header) => {
    if (!timingSafeEqual(digest(readBearerToken(header)), expected)) throw new TaskcastError('UNAUTHORIZED', 'wrong metrics token')
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
