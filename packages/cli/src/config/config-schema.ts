// The schema of a Taskcast config: every key, its type and its range. Cross-key rules
// (a secret for jwt, a URL for redis) are checked after the layers are merged, in resolve-config.ts.
// Rules that belong to another package are imported from it, or left to it: the Redis adapters
// check `keyPrefix` and the PostgreSQL store `schema` and `tablePrefix` when they are built (adapters.ts).
import { CLEANUP_TARGETS, LEVELS, SERIES_MODES, TASK_STATUSES, TaskcastError, WEBHOOK_BACKOFFS, type EventFilter } from '@taskcast/core'
import { validateEventFilter } from '@taskcast/core/internal'
import { isBearerToken, JWT_ALGORITHMS, MAX_WEBHOOK_RETRIES, type AuthOptions } from '@taskcast/server'
import { SYNCHRONOUS_LEVELS } from '@taskcast/sqlite'
import { LOG_FORMATS, LOG_LEVELS } from '../logger.js'
import type { TaskcastConfig } from './config-types.js'
import {
  boolean,
  fail,
  func,
  list,
  number,
  object,
  oneOf,
  string,
  url,
  type Check,
  type CheckContext,
} from './schema-kit.js'

/** Where tasks live (`adapters.shortTerm.provider`; env `TASKCAST_STORAGE`, flag `--storage`). */
export const SHORT_TERM_PROVIDERS = ['memory', 'sqlite', 'redis'] as const
export const LONG_TERM_PROVIDERS = ['none', 'memory', 'sqlite', 'postgres'] as const

/** The auth modes a config can select, each resolved in resolve-config.ts. */
export const AUTH_MODES = ['none', 'jwt', 'custom'] as const satisfies readonly AuthOptions['mode'][]
/** The server's JWT algorithms that verify with a public key rather than a secret, for messages: `RS256, ES256, …`. */
export const PUBLIC_KEY_ALGORITHMS = JWT_ALGORITHMS.filter((algorithm) => algorithm !== 'HS256').join(', ')

const REDIS_URL = url(['redis:', 'rediss:'], 'a redis:// or rediss:// URL')
/** A Redis Cluster's seed nodes; whether they agree on scheme and credentials is @taskcast/redis' rule. */
const REDIS_CLUSTER = list(REDIS_URL, { atLeastOne: 'seed node' })
const POSTGRES_URL = url(['postgres:', 'postgresql:'], 'a postgres:// or postgresql:// URL')
const POSITIVE_INT = number({ min: 1 })

/** One origin (`'*'` for any) or a list of them. */
const stringOrList: Check<string | string[]> = (value, path, ctx) =>
  Array.isArray(value) ? list(string())(value, path, ctx) : string()(value, path, ctx)
const NON_NEGATIVE_INT = number({ min: 0 })

/** What a scraper can send as `Authorization: Bearer <token>` (the server's rule). Not echoed: it is a secret. */
const bearerToken: Check<string> = (value, path, ctx) => {
  const token = string()(value, path, ctx)
  if (!isBearerToken(token)) fail(ctx, path, 'must be a bearer token: letters, digits and -._~+/, optionally ending in =')
  return token
}

const retry = object({
  retries: number({ min: 0, max: MAX_WEBHOOK_RETRIES }),
  backoff: oneOf(WEBHOOK_BACKOFFS),
  initialDelayMs: NON_NEGATIVE_INT,
  maxDelayMs: NON_NEGATIVE_INT,
  timeoutMs: POSITIVE_INT,
})

// Core owns the filter's rules; its message is `<path> <problem>` for the path we hand it.
const eventFilter: Check<EventFilter | undefined> = (value, path, ctx) => {
  try {
    return validateEventFilter(value, path)
  } catch (error) {
    if (!TaskcastError.isInstance(error)) throw error
    const space = error.message.indexOf(' ')
    const key = error.message.slice(0, space)
    return fail(ctx, key.startsWith(path) ? key : path, error.message.slice(space + 1))
  }
}

const webhookEndpoint = object({
  url: url(['http:', 'https:'], 'an http:// or https:// URL'),
  filter: eventFilter,
  secret: string(),
  wrap: boolean(),
  retry,
}, { required: ['url'] })

const cleanupRule = object({
  name: string(),
  match: object({ taskTypes: list(string()), status: list(oneOf(TASK_STATUSES)) }),
  trigger: object({ afterMs: NON_NEGATIVE_INT }),
  target: oneOf(CLEANUP_TARGETS),
  eventFilter: object({ types: list(string()), levels: list(oneOf(LEVELS)), seriesMode: list(oneOf(SERIES_MODES)) }),
}, { required: ['target'] })

const configSchema = object({
  port: number({ min: 0, max: 65535 }),
  host: string(),
  logLevel: oneOf(LOG_LEVELS),
  logFormat: oneOf(LOG_FORMATS),
  auth: object({
    mode: oneOf(AUTH_MODES),
    jwt: object({
      algorithm: oneOf(JWT_ALGORITHMS),
      secret: string(),
      publicKey: string(),
      publicKeyFile: string(),
      issuer: string(),
      audience: string(),
    }),
    authenticate: func('a function (request) => Promise<AuthContext | null>, which only a .ts/.js/.mjs config can hold'),
  }),
  adapters: object({
    broadcast: object({ provider: oneOf(['memory', 'redis']), url: REDIS_URL, cluster: REDIS_CLUSTER, keyPrefix: string() }),
    shortTerm: object({
      provider: oneOf(SHORT_TERM_PROVIDERS),
      url: REDIS_URL,
      cluster: REDIS_CLUSTER,
      keyPrefix: string(),
      retentionSeconds: POSITIVE_INT,
      path: string(),
      synchronous: oneOf(SYNCHRONOUS_LEVELS),
    }),
    longTerm: object({
      provider: oneOf(LONG_TERM_PROVIDERS),
      path: string(),
      url: POSTGRES_URL,
      schema: string(),
      tablePrefix: string(),
      autoMigrate: boolean(),
    }),
  }),
  sentry: object({
    dsn: url(['http:', 'https:'], 'a Sentry DSN (https://<key>@<host>/<project>)'),
    captureTaskFailures: boolean(),
    captureTaskTimeouts: boolean(),
    captureWebhookFailures: boolean(),
    captureUnhandledErrors: boolean(),
  }),
  webhook: object({
    endpoints: list(webhookEndpoint),
    defaultRetry: retry,
    allowPrivateNetworks: boolean(),
    allowedHosts: list(string()),
  }),
  cleanup: object({ rules: list(cleanupRule) }),
  limits: object({ maxBodyBytes: POSITIVE_INT, maxBatchSize: POSITIVE_INT }),
  sse: object({ heartbeatMs: POSITIVE_INT, maxBufferedBytes: POSITIVE_INT }),
  cors: object(
    { origin: stringOrList, credentials: boolean(), maxAge: POSITIVE_INT },
    { required: ['origin'] },
  ),
  metrics: object({ enabled: boolean(), token: bearerToken }),
  dashboard: object({ enabled: boolean() }),
}) as Check<unknown>

/**
 * Checks one layer of configuration (a file, the environment, the flags) key by key.
 * @throws TaskcastError `VALIDATION_ERROR` naming the first bad key.
 */
export function validateConfigLayer(value: unknown, ctx: CheckContext): TaskcastConfig {
  return configSchema(value, '', ctx) as TaskcastConfig
}
