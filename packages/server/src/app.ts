// createTaskcastApp: the Hono app of Taskcast (REST, SSE, auth, webhooks) over one engine.
import { TaskcastError, type TaskEngine } from '@taskcast/core'
import { withTimeout } from '@taskcast/core/internal'
import { PRODUCER_HEADERS } from '@taskcast/core/wire'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { createAuthMiddleware } from './auth/index.js'
import { createErrorHandler, notFoundHandler } from './error-handler.js'
import { DEFAULT_LIMITS, DEFAULT_SSE, type TaskcastAppOptions } from './options.js'
import type { RouteContext, TaskcastEnv } from './route-context.js'
import { registerEventRoutes } from './routes/events.js'
import { registerHealthRoute } from './routes/health.js'
import { registerSseRoute } from './routes/sse.js'
import { registerTaskRoutes } from './routes/tasks.js'
import { SseRegistry } from './sse/sse-registry.js'
import { createWebhookDispatcher } from './webhooks/index.js'

/** How long `close()` lets a client read what was already queued before dropping it. */
const CLOSE_GRACE_MS = 2000

/** The Hono app, plus `close()`. */
export type TaskcastApp = Hono<TaskcastEnv> & {
  /**
   * Ends every open SSE stream cleanly (nothing more is sent; each response ends), refuses
   * new streams, stops webhook delivery and removes the app's hooks from the engine.
   * The engine itself is the caller's: stop it with `engine.stop()`.
   */
  close(): Promise<void>
}

/**
 * Builds the Taskcast HTTP API. Serve it directly or mount it under a prefix of your own app.
 *
 * @example
 * ```ts
 * import { TaskEngine, MemoryBroadcastProvider, MemoryShortTermStore } from '@taskcast/core'
 * import { createTaskcastApp } from '@taskcast/server'
 *
 * const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore() })
 * const taskcast = createTaskcastApp({ engine })
 * const app = new Hono().route('/taskcast', taskcast)
 * ```
 */
export function createTaskcastApp(options: TaskcastAppOptions): TaskcastApp {
  const engine: TaskEngine | undefined = options?.engine
  if (!engine) throw new TaskcastError('VALIDATION_ERROR', 'createTaskcastApp needs an engine')
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const sse = { ...DEFAULT_SSE, ...options.sse }
  assertPositiveInteger('limits.maxBodyBytes', limits.maxBodyBytes)
  assertPositiveInteger('limits.maxBatchSize', limits.maxBatchSize)
  assertPositiveInteger('sse.heartbeatMs', sse.heartbeatMs)
  assertPositiveInteger('sse.maxBufferedBytes', sse.maxBufferedBytes)
  assertPositiveInteger('sse.retryMs', sse.retryMs)
  const auth = options.auth ?? { mode: 'none' }

  const ctx: RouteContext = {
    engine,
    limits,
    sse,
    webhooks: options.webhooks ?? {},
    connections: new SseRegistry(),
  }

  const app = new Hono<TaskcastEnv>()
  app.onError(createErrorHandler(engine))
  app.notFound(notFoundHandler)
  if (options.cors) {
    app.use(
      '*',
      cors({
        origin: options.cors.origin,
        credentials: options.cors.credentials ?? false,
        maxAge: options.cors.maxAge ?? 600,
        allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', ...PRODUCER_HEADERS],
      }),
    )
  }
  // Before the auth middleware: health needs no credentials.
  registerHealthRoute(app, ctx)
  app.use('*', createAuthMiddleware(auth))
  registerTaskRoutes(app, ctx)
  registerEventRoutes(app, ctx)
  registerSseRoute(app, ctx)

  const removeHooks: (() => void)[] = []
  if (options.hooks) removeHooks.push(engine.addHooks(options.hooks))
  const dispatcher = createWebhookDispatcher({ engine, options: ctx.webhooks })
  removeHooks.push(engine.addHooks(dispatcher.hooks))

  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await ctx.connections.closeAll(CLOSE_GRACE_MS)
      for (const remove of removeHooks) remove()
      // Deliveries already under way get the same grace as the streams; the rest are dropped.
      await withTimeout(dispatcher.idle(), CLOSE_GRACE_MS)
      await dispatcher.close()
    })())
  return Object.assign(app, { close })
}

function assertPositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TaskcastError('VALIDATION_ERROR', `${name} must be a positive integer`)
  }
}
