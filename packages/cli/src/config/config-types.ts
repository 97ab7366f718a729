// The shape of a Taskcast config (what a config file holds) and of a resolved one (what the server runs with).
import type { CleanupRule, WebhookConfig } from '@taskcast/core'
import type { PostgresLongTermStoreOptions } from '@taskcast/postgres'
import type { RedisBroadcastProviderOptions, RedisShortTermStoreOptions } from '@taskcast/redis'
import type { SqliteShortTermStoreOptions } from '@taskcast/sqlite'
import type { AuthOptions, CorsOptions, JwtAuthOptions, LimitOptions, SseOptions, WebhookOptions } from '@taskcast/server'
import type { LogFormat, LogLevel } from '../logger.js'

export type { LogFormat, LogLevel }
export type AuthMode = AuthOptions['mode']
/** The server's custom authenticator (`AuthOptions` with `mode: 'custom'`). */
type Authenticate = Extract<AuthOptions, { mode: 'custom' }>['authenticate']

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
  authenticate?: Authenticate
}

export interface BroadcastAdapterConfig {
  /** @defaultValue `memory` */
  provider?: 'memory' | 'redis'
  /** `redis://…` or `rediss://…`; with `redis`, this or `cluster`. Env: `TASKCAST_REDIS_URL`. */
  url?: string
  /** A Redis Cluster's seed nodes, instead of `url`: `['redis://10.0.0.1:7000', …]`. Env: `TASKCAST_REDIS_CLUSTER`. */
  cluster?: string[]
  /** Prepended to every Redis channel. @defaultValue `taskcast:` */
  keyPrefix?: string
}

export interface ShortTermAdapterConfig {
  /** @defaultValue `memory`. Env: `TASKCAST_STORAGE`; flag `--storage`. */
  provider?: 'memory' | 'sqlite' | 'redis'
  /** `redis://…` or `rediss://…`; with `redis`, this or `cluster`. Env: `TASKCAST_REDIS_URL`. */
  url?: string
  /** A Redis Cluster's seed nodes, instead of `url`: `['redis://10.0.0.1:7000', …]`. Env: `TASKCAST_REDIS_CLUSTER`. */
  cluster?: string[]
  /** Prepended to every Redis key. @defaultValue `taskcast:` */
  keyPrefix?: string
  /** Redis only: keys of a task nobody writes to for this long expire. @defaultValue unset (no expiry) */
  retentionSeconds?: number
  /**
   * SQLite only: the database file, relative to the working directory; created when missing.
   * @defaultValue `taskcast.db`. Env: `TASKCAST_SQLITE_PATH`; flag `--db`.
   */
  path?: string
  /** SQLite only: `normal` survives a crash of the process, `full` also a power loss. @defaultValue `normal` */
  synchronous?: SqliteShortTermStoreOptions['synchronous']
}

export interface LongTermAdapterConfig {
  /** @defaultValue `none` */
  provider?: 'none' | 'memory' | 'sqlite' | 'postgres'
  /**
   * SQLite only: the archive's database file; it may be the short-term store's (the tables are apart).
   * @defaultValue the short-term store's file when that is SQLite, else `taskcast.db`
   */
  path?: string
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

/** A global webhook: core's `WebhookConfig`, under the name this package has always exported. */
export type WebhookEndpointConfig = WebhookConfig

/**
 * The server's webhook options that a config can hold (`fetch` and `lookup` are code, not
 * config): global `endpoints` (trusted, not SSRF-checked), `defaultRetry`, `allowPrivateNetworks`, `allowedHosts`.
 */
export type WebhookSectionConfig = Pick<WebhookOptions, 'endpoints' | 'defaultRetry' | 'allowPrivateNetworks' | 'allowedHosts'>

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
  metrics?: MetricsConfig
  dashboard?: DashboardConfig
}

/** Prometheus metrics at `GET /metrics`, outside the API's auth. */
export interface MetricsConfig {
  /** @defaultValue true. Env: `TASKCAST_METRICS_ENABLED`. */
  enabled?: boolean
  /** A bearer token the scraper must send; without it `/metrics` is open. Env: `TASKCAST_METRICS_TOKEN`. */
  token?: string
}

/** The live dashboard at `GET /dashboard`: a public page whose API calls carry the token it asks for. */
export interface DashboardConfig {
  /** @defaultValue true. Env: `TASKCAST_DASHBOARD_ENABLED`. */
  enabled?: boolean
}

/** Where a Redis adapter connects: one server, or a Redis Cluster through its seed nodes. */
export type RedisTarget = { url: string; cluster?: never } | { cluster: string[]; url?: never }

/** With where to connect, the adapter options a config can set; the adapter checks them when it is built. */
export type ResolvedBroadcast =
  | { provider: 'memory' }
  | ({ provider: 'redis' } & RedisTarget & Pick<RedisBroadcastProviderOptions, 'keyPrefix'>)
export type ResolvedShortTerm =
  | { provider: 'memory' }
  | ({ provider: 'sqlite'; path: string } & Pick<SqliteShortTermStoreOptions, 'synchronous'>)
  | ({ provider: 'redis' } & RedisTarget & Pick<RedisShortTermStoreOptions, 'keyPrefix' | 'retentionSeconds'>)
export type ResolvedLongTerm =
  | { provider: 'none' }
  | { provider: 'memory' }
  | { provider: 'sqlite'; path: string }
  | ({ provider: 'postgres'; url: string; autoMigrate: boolean } & Pick<PostgresLongTermStoreOptions, 'schema' | 'tablePrefix'>)

/** A config with its defaults applied and every cross-key rule checked. */
export interface ResolvedConfig {
  readonly resolved: true
  port: number
  host: string
  logLevel: LogLevel
  logFormat: LogFormat
  /** The server's auth options; with `jwt`, `algorithm` is always set (from the key when not configured). */
  auth: AuthOptions
  adapters: { broadcast: ResolvedBroadcast; shortTerm: ResolvedShortTerm; longTerm: ResolvedLongTerm }
  /** Present when a DSN is configured. */
  sentry?: SentryConfig & { dsn: string }
  webhook: WebhookSectionConfig
  cleanup?: { rules: CleanupRule[] }
  limits?: LimitOptions
  sse?: SseOptions
  cors?: CorsOptions
  metrics: { enabled: boolean; token?: string }
  dashboard: { enabled: boolean }
  /** Where the config came from, for the startup banner: a file path, or nothing. */
  configFile?: string
  /** Things worth a warning at startup (e.g. a JWT secret that auth mode `none` ignores). */
  warnings: string[]
}
