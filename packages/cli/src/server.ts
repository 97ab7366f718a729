// The standalone server: config → adapters → engine → Hono app → HTTP listener, and back down
// in the reverse order on close().
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { createNodeWebSocket } from '@hono/node-ws'
import { TaskEngine, TaskcastError, type TaskcastHooks } from '@taskcast/core'
import { withTimeout } from '@taskcast/core/internal'
import { createTaskcastApp, WORKER_WS_MAX_MESSAGE_BYTES, type AuthOptions, type TaskcastApp } from '@taskcast/server'
import type { Hono } from 'hono'
import { openAdapters, type Adapters } from './adapters.js'
import type { ResolvedConfig, TaskcastConfig } from './config/config-types.js'
import { resolveConfig } from './config/resolve-config.js'
import { validateConfigLayer } from './config/config-schema.js'
import { errorText } from './error-text.js'
import { loadDashboardAssets } from './dashboard/dashboard-assets.js'
import { withDashboard, type FetchHandler } from './dashboard/dashboard-route.js'
import { closeConnectionsWhenIdle } from './idle-connections.js'
import { listenUrl } from './listen-address.js'
import { createLogger, type Logger } from './logger.js'
import { logStartup } from './startup-banner.js'

/** The whole shutdown stays under this, so an orchestrator's 10 s grace period is never hit. */
const SHUTDOWN_BUDGET_MS = 9000
/** How long open connections get to finish once SSE streams were told to end. */
const DRAIN_MS = 1500
/** How long Sentry gets to send what is queued. */
const SENTRY_FLUSH_MS = 2000
/**
 * The dashboard's built files. The same path from src/ (the tests) and from the bundles in
 * dist/: both sit one level below the package root.
 */
const DASHBOARD_DIR = new URL('../dist/dashboard/', import.meta.url)

export interface StartServerOptions {
  /** @defaultValue a logger built from `config.logLevel` and `config.logFormat`, writing to stdout */
  logger?: Logger
}

export interface RunningServer {
  /**
   * The URL of the address actually bound, as in the banner: `http://127.0.0.1:3721`, or
   * `http://0.0.0.0:3721` when listening on every interface.
   */
  url: string
  /** The port actually bound (useful with `port: 0`). */
  port: number
  /** The host as configured (`localhost`, `0.0.0.0`…); `url` has the address it became. */
  host: string
  /**
   * Stops accepting connections, ends open SSE streams cleanly, flushes long-term writes,
   * closes the stores and flushes Sentry. Resolves within about 9 s; safe to call twice.
   */
  close(): Promise<void>
}

/**
 * Starts a Taskcast server. Stores are checked before the port is bound: a store that does
 * not answer makes the promise reject, with nothing left running.
 *
 * @throws TaskcastError `VALIDATION_ERROR` for a bad config, `STORE_UNAVAILABLE` when a store
 * is unreachable, `INTERNAL` when migrations or listening fail.
 * @example
 * ```ts
 * import { startServer } from '@taskcast/cli'
 *
 * const server = await startServer({ port: 0, host: '127.0.0.1' })
 * console.log(server.url)
 * await server.close()
 * ```
 */
export async function startServer(config: TaskcastConfig | ResolvedConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const resolved = isResolved(config) ? config : await resolveConfig(validateConfigLayer(config, programmaticContext))
  const logger = options.logger ?? createLogger({ level: resolved.logLevel, format: resolved.logFormat })
  for (const warning of resolved.warnings) logger.warn(warning)

  const sentry = resolved.sentry ? await createSentry(resolved.sentry) : undefined
  const adapters = await openAdapters(resolved.adapters, logger)
  const engine = new TaskEngine({
    broadcast: adapters.broadcast,
    shortTermStore: adapters.shortTermStore,
    ...(adapters.longTermStore && { longTermStore: adapters.longTermStore }),
    ...(sentry && { hooks: sentry }),
    ...(resolved.cleanup && { cleanup: resolved.cleanup }),
  })

  let app: TaskcastApp | undefined
  let http: Server | undefined
  // WebSocket workers (GET /workers/ws). The adapter runs an upgrade through the app only once
  // the server listens, so it gets the app through a wrapper before the app exists.
  const nodeWs = createNodeWebSocket({ app: { request: (...args: Parameters<Hono['request']>) => app!.request(...args) } as Hono })
  // `ws` refuses a bigger frame (close 1009) before buffering it.
  nodeWs.wss.options.maxPayload = WORKER_WS_MAX_MESSAGE_BYTES
  try {
    app = createTaskcastApp({
      engine,
      upgradeWebSocket: nodeWs.upgradeWebSocket,
      auth: resolved.auth satisfies AuthOptions,
      webhooks: resolved.webhook,
      ...(resolved.limits && { limits: resolved.limits }),
      ...(resolved.sse && { sse: resolved.sse }),
      ...(resolved.cors && { cors: resolved.cors }),
      metrics: resolved.metrics,
      hooks: loggingHooks(logger),
    })
    const api = app
    const serveApi: FetchHandler = (request, env) => api.fetch(request, env as never)
    const handler = resolved.dashboard.enabled ? withDashboard(serveApi, await loadDashboardAssets(DASHBOARD_DIR)) : serveApi
    http = createAdaptorServer({ fetch: withRequestLog(handler, logger) }) as Server
    nodeWs.injectWebSocket(http)
    await listen(http, resolved.port, resolved.host)
  } catch (error) {
    await app?.close().catch(() => undefined)
    await engine.stop({ flushTimeoutMs: 1000 }).catch(() => undefined)
    await adapters.close()
    throw error
  }

  // What was bound, not what was asked for: `localhost` or a host name resolve to an address.
  const { address, port } = http.address() as AddressInfo
  const url = listenUrl(address, port)
  logStartup(logger, { config: resolved, address, port, url, sentry: sentry !== undefined })

  const running = { app, http, closeIdle: closeConnectionsWhenIdle(http), engine, adapters, sentry, logger }
  let closing: Promise<void> | undefined
  return {
    url,
    port,
    host: resolved.host,
    close: () => (closing ??= shutdown(running)),
  }
}

function isResolved(config: TaskcastConfig | ResolvedConfig): config is ResolvedConfig {
  return (config as ResolvedConfig).resolved === true
}

const programmaticContext = {
  describe: (path: string) => (path === '' ? 'startServer config' : `startServer config: ${path}`),
  coerce: () => false,
  hint: () => undefined,
}

type SentryHooks = TaskcastHooks & { flush(timeoutMs?: number): Promise<boolean> }

async function createSentry(config: NonNullable<ResolvedConfig['sentry']>): Promise<SentryHooks> {
  // Loaded only when configured: it pulls in @sentry/node.
  const { createSentryHooks } = await import('@taskcast/sentry')
  return createSentryHooks(config)
}

function loggingHooks(logger: Logger): TaskcastHooks {
  return {
    onSSEConnect: (taskId, clientId) => logger.debug('sse open', { taskId, clientId }),
    onSSEDisconnect: (taskId, clientId, durationMs) => logger.debug('sse closed', { taskId, clientId, durationMs }),
    onWebhookFailed: (config, error, event) =>
      logger.warn('webhook delivery failed', { host: hostOf(config.url), taskId: event.taskId, error: errorText(error) }),
    onUnhandledError: (error, context) =>
      logger.error('unhandled error', { source: context.source, taskId: context.taskId, error: errorText(error) }),
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return '<invalid URL>'
  }
}

/** One `debug` line per request once its response has started (an SSE stream logs when it opens). */
function withRequestLog(handler: FetchHandler, logger: Logger): FetchHandler {
  return async (request, env) => {
    if (!logger.isEnabled('debug')) return handler(request, env)
    const started = performance.now()
    const response = await handler(request, env)
    const { pathname } = new URL(request.url)
    logger.debug(`${request.method} ${pathname} ${response.status}`, {
      method: request.method,
      path: pathname,
      status: response.status,
      durationMs: Math.round(performance.now() - started),
    })
    return response
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'the address is already in use' : errorText(error)
      reject(new TaskcastError('INTERNAL', `cannot listen on ${formatHost(host)}:${port}: ${reason}`, { cause: error }))
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

interface Running {
  app: TaskcastApp
  http: Server
  /** Closes idle keep-alive connections, now and whenever one becomes idle later. */
  closeIdle: () => void
  engine: TaskEngine
  adapters: Adapters
  sentry: SentryHooks | undefined
  logger: Logger
}

async function shutdown({ app, http, closeIdle, engine, adapters, sentry, logger }: Running): Promise<void> {
  const deadline = Date.now() + SHUTDOWN_BUDGET_MS
  const left = (cap: number) => Math.max(0, Math.min(cap, deadline - Date.now()))

  // Stop accepting; `closed` settles once every connection is gone.
  const closed = new Promise<void>((resolve) => http.close(() => resolve()))
  // Before the streams end: each keep-alive connection goes as soon as its response is done.
  closeIdle()
  // Ends every SSE stream cleanly (the response finishes).
  await app.close().catch((error: unknown) => logger.error('closing SSE streams failed', { error: errorText(error) }))
  if (!(await within(closed, left(DRAIN_MS)))) {
    logger.warn('connections still open after the drain period: closing them')
    http.closeAllConnections()
  }

  // Long-term writes are flushed while the stores are still open.
  await engine
    .stop({ flushTimeoutMs: Math.max(500, left(SHUTDOWN_BUDGET_MS) - SENTRY_FLUSH_MS - 1000) })
    .catch((error: unknown) => logger.error('flushing long-term writes failed', { error: errorText(error) }))
  await within(adapters.close(), left(1000))
  if (sentry && !(await sentry.flush(left(SENTRY_FLUSH_MS)).catch(() => false))) {
    logger.warn('Sentry did not confirm every report before the deadline')
  }
  logger.info('taskcast stopped')
}

/** Whether `promise` settled (either way) within `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return withTimeout(promise.then(() => true, () => true), ms, false)
}
