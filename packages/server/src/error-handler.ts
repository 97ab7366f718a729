// The single error path of the app: whatever a route throws becomes `{ error: { code, message } }`
// with the status of its code (see http-status.ts).
import { TaskcastError, type TaskEngine } from '@taskcast/core'
import type { ErrorHandler, NotFoundHandler } from 'hono'
import { httpStatusOf, toErrorBody, toTaskcastError } from './http-status.js'

export function createErrorHandler(engine: TaskEngine): ErrorHandler {
  return (thrown, c) => {
    const error = toTaskcastError(thrown)
    const status = httpStatusOf(error.code)
    // Only the unexpected goes to onUnhandledError (Sentry…): 4xx are the client's business, and
    // STORE_UNAVAILABLE is an outage that /health already shows (reporting it per request would flood).
    if (error.code === 'INTERNAL') engine.reportError(thrown, { source: `http ${c.req.method} ${c.req.routePath}` })
    return c.json(toErrorBody(error), status)
  }
}

/**
 * Unknown paths: `ROUTE_NOT_FOUND`, so a client can tell a mistyped URL (or a wrong mount
 * prefix) from a task that does not exist. When the app is mounted into another Hono app,
 * the host's own not-found handler applies instead.
 */
export const notFoundHandler: NotFoundHandler = (c) => {
  const error = new TaskcastError('ROUTE_NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`)
  // Returned, not thrown: Hono may call this handler outside the error handler's reach.
  return c.json(toErrorBody(error), httpStatusOf(error.code))
}
