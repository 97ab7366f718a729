// Counts the requests that failed because a store did not answer (503 STORE_UNAVAILABLE). Which
// store it was, a request's error does not say: they count as `unknown`.
import type { MiddlewareHandler } from 'hono'
import type { SseRegistry } from '../sse/sse-registry.js'
import { isStoreUnavailable } from './store-errors.js'
import type { TaskcastMetrics } from './taskcast-metrics.js'

/**
 * Register it after `/health` (which counts the stores it finds down itself) and `/metrics`: a
 * handler registered before it runs without it.
 */
export function countRequestStoreErrors(metrics: TaskcastMetrics, connections: SseRegistry): MiddlewareHandler {
  return async (c, next) => {
    await next()
    // Hono puts what a handler threw in `c.error` once the error handler answered it. While the
    // app closes, new streams are refused with the same code: no store's fault.
    if (c.error && isStoreUnavailable(c.error) && !connections.isClosing) metrics.storeError('unknown')
  }
}
