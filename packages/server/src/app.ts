// createTaskcastApp: the Hono app of Taskcast (REST, SSE, auth, webhooks) over one engine.
import { TaskcastError, type TaskEngine } from '@taskcast/core'
import { withTimeout } from '@taskcast/core/internal'
import { PRODUCER_HEADERS } from '@taskcast/core/wire'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { Registry } from 'prom-client'
import { isBearerToken } from './auth/bearer-token.js'
import { createAuthMiddleware } from './auth/index.js'
import { createErrorHandler, notFoundHandler } from './error-handler.js'
import { countRequestStoreErrors } from './metrics/count-request-store-errors.js'
import { SseDeliveryCounter } from './metrics/sse-delivery-counter.js'
import { createTaskcastMetrics, type TaskcastMetrics } from './metrics/taskcast-metrics.js'
import { DEFAULT_LIMITS, DEFAULT_METRICS, DEFAULT_SSE, type MetricsOptions, type MetricsRegistry, type TaskcastAppOptions } from './options.js'
import type { RouteContext, TaskcastEnv } from './route-context.js'
import { registerEventRoutes } from './routes/events.js'
import { registerHealthRoute } from './routes/health.js'
import { registerMetricsRoute } from './routes/metrics.js'
import { registerOpenApiRoute } from './routes/openapi.js'
import { registerSseRoute } from './routes/sse.js'
import { registerTaskRoutes } from './routes/tasks.js'
import { registerTaskListRoute } from './routes/task-list.js'
import { registerGlobalEventsRoute } from './routes/global-events.js'
import { registerWorkerRoutes, registerWorkerSocketRoute } from './routes/workers.js'
import { PullWaiters } from './workers/pull-waiters.js'
import { WsWorkerHub } from './workers/ws-hub.js'
import { SseRegistry } from './sse/sse-registry.js'
import { createWebhookDispatcher } from './webhooks/index.js'

/** How long `close()` lets a client read what was already queued before dropping it. */
const CLOSE_GRACE_MS = 2000

/** The Hono app, plus `close()`. */
export type TaskcastApp = Hono<TaskcastEnv> & {
  /**
   * Ends every open SSE stream cleanly (nothing more is sent; each response ends), refuses
   * new streams, gives back the tasks assigned to WebSocket workers and closes their sockets, stops webhook delivery and removes the app's hooks from the engine.
   * The engine itself is the caller's: stop it with `engine.stop()`.
   */
  close(): Promise<void>
  /**
   * The registry the app's metrics are in (undefined when metrics are off): serve it elsewhere,
   * or merge it into another with `Registry.merge`.
   */
  readonly metricsRegistry: MetricsRegistry | undefined
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
  const connections = new SseRegistry()
  const sseDeliveries = new SseDeliveryCounter()
  const reportWorkerError = (error: unknown) => engine.reportError(error, { source: 'workers' })
  const pullWaiters = new PullWaiters(engine, reportWorkerError)
  const wsWorkers = new WsWorkerHub(engine, reportWorkerError)
  const served = options.metrics ? appMetrics(options.metrics, connections, sseDeliveries, pullWaiters, wsWorkers, engine) : undefined
  const metrics = served?.metrics
  if (metrics) pullWaiters.onAssigned = wsWorkers.onAssigned = (task) => metrics.observeAssignment(task)

  const ctx: RouteContext = {
    engine,
    limits,
    sse,
    webhooks: options.webhooks ?? {},
    connections,
    sseDeliveries,
    metrics,
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
  // Before the auth middleware: health needs no credentials, and a scraper brings the metrics token.
  registerOpenApiRoute(app)
  registerHealthRoute(app, ctx)
  if (served?.route) registerMetricsRoute(app, served.metrics, served.token)
  if (metrics) app.use('*', countRequestStoreErrors(metrics, connections))
  // Before the auth middleware: a worker socket may bring its token in its first message.
  registerWorkerSocketRoute(app, wsWorkers, options.upgradeWebSocket, auth, reportWorkerError)
  app.use('*', createAuthMiddleware(auth))
  registerTaskListRoute(app, ctx)
  registerTaskRoutes(app, ctx)
  registerEventRoutes(app, ctx)
  registerSseRoute(app, ctx)
  registerGlobalEventsRoute(app, ctx)
  registerWorkerRoutes(app, engine, pullWaiters)

  const removeHooks: (() => void)[] = []
  // Listed by GET /workers of every process, this one's included.
  removeHooks.push(engine.addWorkerRoster(() => [...pullWaiters.listing(), ...wsWorkers.list()]))
  if (options.hooks) removeHooks.push(engine.addHooks(options.hooks))
  if (metrics) removeHooks.push(engine.addHooks(metrics.hooks))
  const dispatcher = createWebhookDispatcher({ engine, options: ctx.webhooks, ...(metrics && { onOutcome: metrics.webhookOutcome }) })
  removeHooks.push(engine.addHooks(dispatcher.hooks))

  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      pullWaiters.close()
      // Their assigned tasks go back before the sockets close (1001), so other workers get them.
      await wsWorkers.close()
      await ctx.connections.closeAll(CLOSE_GRACE_MS)
      for (const remove of removeHooks) remove()
      // Deliveries already under way get the same grace as the streams; the rest are dropped.
      await withTimeout(dispatcher.idle(), CLOSE_GRACE_MS)
      await dispatcher.close()
    })())
  return Object.assign(app, { close, metricsRegistry: metrics?.registry })
}

/** The app's metrics, and whether and how `/metrics` serves them; undefined when they are off. */
function appMetrics(
  given: MetricsOptions,
  connections: SseRegistry,
  sseDeliveries: SseDeliveryCounter,
  pullWaiters: PullWaiters,
  wsWorkers: WsWorkerHub,
  engine: TaskEngine,
): { metrics: TaskcastMetrics; route: boolean; token: string | undefined } | undefined {
  const options = { ...DEFAULT_METRICS, ...given }
  if (!options.enabled) return undefined
  assertPositiveInteger('metrics.maxTypeLabels', options.maxTypeLabels)
  const { token } = options
  if (token !== undefined && (typeof token !== 'string' || !isBearerToken(token))) {
    throw new TaskcastError('VALIDATION_ERROR', 'metrics.token must be a bearer token: letters, digits and -._~+/, optionally ending in =')
  }
  const metrics = createTaskcastMetrics({
    // Not prom-client's global registry: two apps in one process must not collide.
    registry: options.registry ?? new Registry(),
    maxTypeLabels: options.maxTypeLabels,
    defaultMetrics: options.defaultMetrics,
    connections,
    sseDeliveries,
    waitingWorkers: () => pullWaiters.size,
    connectedWorkers: () => wsWorkers.size,
    waitingTasks: () => engine.countWaitingTasks(),
  })
  return { metrics, route: options.route, token }
}

function assertPositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TaskcastError('VALIDATION_ERROR', `${name} must be a positive integer`)
  }
}
