// The shape of a Taskcast config (what a config file holds) and of a resolved one (what the server runs with).
import type { CleanupRule, EventFilter, RetryConfig } from '@taskcast/core'
import type { AuthContext, CorsOptions, JwtAlgorithm, JwtAuthOptions, LimitOptions, SseOptions } from '@taskcast/server'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFormat = 'text' | 'json'
export type AuthMode = 'none' | 'jwt' | 'custom'

/**
 * The server's JWT options. In the CLI, `algorithm` defaults to `HS256` with `secret` and,
 * with a public key, to the algorithm the key is for (RSA → RS256, P-256 → ES256…).
 * Env: `TASKCAST_JWT_SECRET`, `TASKCAST_JWT_PUBLIC_KEY_FILE`.
 */
export type JwtConfig = JwtAuthOptions

export interface AuthConfig {
  /**
   * Env: `TASKCAST_AUTH_MODE`.
   * @defaultValue `jwt` when a JWT secret or key is configured, `custom` when `authenticate` is given, else `none`
   */
  mode?: AuthMode
  jwt?: JwtConfig
  /** For `mode: custom`; only possible in a `.ts`/`.js`/`.mjs` config file. */
  authenticate?: (request: Request) => Promise<AuthContext | null>
}

export interface BroadcastAdapterConfig {
  /** @defaultValue `memory` */
  provider?: 'memory' | 'redis'
  /** `redis://…` or `rediss://…`; required with `redis`. Env: `TASKCAST_REDIS_URL`. */
  url?: string
  /** Prepended to every Redis channel. @defaultValue `taskcast:` */
  keyPrefix?: string
}

export interface ShortTermAdapterConfig {
  /** @defaultValue `memory` */
  provider?: 'memory' | 'redis'
  /** `redis://…` or `rediss://…`; required with `redis`. Env: `TASKCAST_REDIS_URL`. */
  url?: string
  /** Prepended to every Redis key. @defaultValue `taskcast:` */
  keyPrefix?: string
  /** Redis only: keys of a task nobody writes to for this long expire. @defaultValue unset (no expiry) */
  retentionSeconds?: number
}

export interface LongTermAdapterConfig {
  /** @defaultValue `none` */
  provider?: 'none' | 'memory' | 'postgres'
  /** `postgres://…` or `postgresql://…`; required with `postgres`. Env: `TASKCAST_POSTGRES_URL`. */
  url?: string
  /** @defaultValue `public` */
  schema?: string
  /** @defaultValue `taskcast_` */
  tablePrefix?: string
  /** Apply pending migrations at start. @defaultValue true */
  autoMigrate?: boolean
}

export interface AdaptersConfig {
  broadcast?: BroadcastAdapterConfig
  shortTerm?: ShortTermAdapterConfig
  longTerm?: LongTermAdapterConfig
}

export interface SentryConfig {
  /** Sentry is wired only when this is set (and not empty). Env: `SENTRY_DSN`. */
  dsn?: string
  /** @defaultValue true */
  captureTaskFailures?: boolean
  /** @defaultValue true */
  captureTaskTimeouts?: boolean
  /** @defaultValue true */
  captureWebhookFailures?: boolean
  /** @defaultValue true */
  captureUnhandledErrors?: boolean
}

export interface WebhookEndpointConfig {
  url: string
  filter?: EventFilter
  secret?: string
  wrap?: boolean
  retry?: RetryConfig
}

export interface WebhookSectionConfig {
  /** Global webhooks: every task's events go to each of them. Trusted (not SSRF-checked). */
  endpoints?: WebhookEndpointConfig[]
  /** Retry settings for webhooks that give none. */
  defaultRetry?: RetryConfig
  /** Let per-task webhooks target private, loopback and link-local addresses. @defaultValue false */
  allowPrivateNetworks?: boolean
  /** Hosts per-task webhooks may target even when they resolve to private addresses. */
  allowedHosts?: string[]
}

/**
 * A Taskcast config: the content of `taskcast.config.{ts,js,mjs,yaml,yml,json}`, and what
 * `startServer` takes. Every key is optional.
 */
export interface TaskcastConfig {
  /** @defaultValue 3721. Env: `TASKCAST_PORT`; flag `-p`. */
  port?: number
  /**
   * The address to listen on; `0.0.0.0` (or `::`) is every interface. Any address outside
   * loopback served with auth `none` logs a warning. @defaultValue `127.0.0.1`. Env: `TASKCAST_HOST`; flag `--host`.
   */
  host?: string
  /** @defaultValue `info`. Env: `TASKCAST_LOG_LEVEL`. */
  logLevel?: LogLevel
  /** @defaultValue `text`. Env: `TASKCAST_LOG_FORMAT`. */
  logFormat?: LogFormat
  auth?: AuthConfig
  adapters?: AdaptersConfig
  sentry?: SentryConfig
  webhook?: WebhookSectionConfig
  cleanup?: { rules?: CleanupRule[] }
  /** Request limits of the HTTP API (`maxBodyBytes`, `maxBatchSize`). */
  limits?: LimitOptions
  /** SSE settings (`heartbeatMs`, `maxBufferedBytes`). */
  sse?: SseOptions
  /** Browsers on other origins (`origin`, `credentials`, `maxAge`); off when absent. */
  cors?: CorsOptions
}

export type ResolvedAuth =
  | { mode: 'none' }
  | { mode: 'jwt'; jwt: JwtConfig & { algorithm: JwtAlgorithm } }
  | { mode: 'custom'; authenticate: (request: Request) => Promise<AuthContext | null> }

export type ResolvedBroadcast = { provider: 'memory' } | { provider: 'redis'; url: string; keyPrefix?: string }
export type ResolvedShortTerm =
  | { provider: 'memory' }
  | { provider: 'redis'; url: string; keyPrefix?: string; retentionSeconds?: number }
export type ResolvedLongTerm =
  | { provider: 'none' }
  | { provider: 'memory' }
  | { provider: 'postgres'; url: string; schema?: string; tablePrefix?: string; autoMigrate: boolean }

/** A config with its defaults applied and every cross-key rule checked. */
export interface ResolvedConfig {
  readonly resolved: true
  port: number
  host: string
  logLevel: LogLevel
  logFormat: LogFormat
  auth: ResolvedAuth
  adapters: { broadcast: ResolvedBroadcast; shortTerm: ResolvedShortTerm; longTerm: ResolvedLongTerm }
  /** Present when a DSN is configured. */
  sentry?: SentryConfig & { dsn: string }
  webhook: WebhookSectionConfig
  cleanup?: { rules: CleanupRule[] }
  limits?: LimitOptions
  sse?: SseOptions
  cors?: CorsOptions
  /** Where the config came from, for the startup banner: a file path, or nothing. */
  configFile?: string
  /** Things worth a warning at startup (e.g. a JWT secret that auth mode `none` ignores). */
  warnings: string[]
}
