// Options of createTaskcastApp, with their defaults in one place.
import type { TaskcastHooks, TaskEngine } from '@taskcast/core'
import type { UpgradeWebSocket } from 'hono/ws'
import type { OpenMetricsContentType, PrometheusContentType, Registry } from 'prom-client'
import type { AuthOptions } from './auth/auth-types.js'
import type { WebhookOptions } from './webhooks/webhook-types.js'

export interface LimitOptions {
  /** Largest accepted request body. @defaultValue 1_048_576 (1 MiB) */
  maxBodyBytes?: number
  /** Most events in one publish request. @defaultValue 1000 */
  maxBatchSize?: number
}

export interface SseOptions {
  /** Interval of the `: ping` comment. @defaultValue 15_000 */
  heartbeatMs?: number
  /** Bytes a connection may have queued unread before it is cut (the client can resume). @defaultValue 1_048_576 */
  maxBufferedBytes?: number
  /**
   * Sent as `retry:` at the start of every stream: how long a plain `EventSource` waits before
   * reconnecting after a drop (browsers default to about 3 s). @defaultValue 1000
   */
  retryMs?: number
}

/** Cross-origin access for browsers on other origins (Hono's `cors` middleware). */
export interface CorsOptions {
  /** Allowed origins: one, a list, or `'*'`. */
  origin: string | string[]
  /** Send `Access-Control-Allow-Credentials`. @defaultValue false */
  credentials?: boolean
  /** Preflight cache lifetime in seconds. @defaultValue 600 */
  maxAge?: number
}

/** A prom-client registry, of either exposition format. */
export type MetricsRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>

/** Prometheus metrics (SPEC §21): `GET /metrics`, outside the API's auth. */
export interface MetricsOptions {
  /** Collect metrics and serve them. @defaultValue true (once `metrics` is given) */
  enabled?: boolean
  /**
   * A bearer token the scraper must send (`Authorization: Bearer <token>`): letters, digits and
   * `-._~+/`, optionally ending in `=`. @defaultValue none: `/metrics` is open to anyone who reaches it
   */
  token?: string
  /**
   * The prom-client registry the metrics are registered in, e.g. your app's own so that one
   * endpoint serves both. One app per registry. @defaultValue a new `Registry` of this app's own
   */
  registry?: MetricsRegistry
  /** Serve `GET /metrics`; `false` only collects into `registry`, for you to serve. @defaultValue true */
  route?: boolean
  /** Also collect prom-client's default process metrics, unless the registry holds them already. @defaultValue true */
  defaultMetrics?: boolean
  /** Distinct task types, and event types, that get a label value of their own; later ones are `other`. @defaultValue 100 */
  maxTypeLabels?: number
}

export interface TaskcastAppOptions {
  engine: TaskEngine
  /** @defaultValue { mode: 'none' } */
  auth?: AuthOptions
  webhooks?: WebhookOptions
  limits?: LimitOptions
  sse?: SseOptions
  /** Off unless given: answer preflights and add CORS headers for these origins. */
  cors?: CorsOptions
  /** Extra hooks, added to the engine's (SSE connect/disconnect, webhook failures…). */
  hooks?: TaskcastHooks
  /** Off unless given: Prometheus metrics and `GET /metrics`. */
  metrics?: MetricsOptions
  /**
   * Off unless given: `GET /workers/ws`, WebSocket workers (SPEC §18 push mode). Hono's helper of
   * your runtime: `createNodeWebSocket({ app }).upgradeWebSocket` of `@hono/node-ws` on Node,
   * `upgradeWebSocket` of `hono/bun`, `hono/deno` or `hono/cloudflare-workers`. Frames over
   * `WORKER_WS_MAX_MESSAGE_BYTES` are refused (close 1009); on Node also set the `ws` server's
   * `maxPayload` to it, so that such a frame is not buffered first.
   */
  upgradeWebSocket?: UpgradeWebSocket
}

export const DEFAULT_LIMITS: Required<LimitOptions> = { maxBodyBytes: 1_048_576, maxBatchSize: 1000 }
export const DEFAULT_SSE: Required<SseOptions> = { heartbeatMs: 15_000, maxBufferedBytes: 1_048_576, retryMs: 1000 }
export const DEFAULT_METRICS: Required<Omit<MetricsOptions, 'token' | 'registry'>> = {
  enabled: true,
  route: true,
  defaultMetrics: true,
  maxTypeLabels: 100,
}
