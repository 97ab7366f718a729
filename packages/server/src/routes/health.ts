// GET /health: liveness plus whether each configured store answers (no auth).
import { TaskcastError } from '@taskcast/core'
import { storesDown } from '../metrics/store-errors.js'
import type { RouteContext, TaskcastHono } from '../route-context.js'

export function registerHealthRoute(app: TaskcastHono, ctx: RouteContext): void {
  app.get('/health', async (c) => {
    const health = await ctx.engine.health()
    if (!health.ok) {
      for (const store of storesDown(health)) ctx.metrics?.storeError(store)
      // Load balancers read the status; people read which store is down in `details`.
      throw new TaskcastError('STORE_UNAVAILABLE', 'a store does not answer', { details: { ...health } })
    }
    return c.json(health, 200)
  })
}
