// The schema of a Taskcast config: every key, its type and its range. Cross-key rules
// (a secret for jwt, a URL for redis) are checked after the layers are merged, in resolve-config.ts.
import { LEVELS, SERIES_MODES, TASK_STATUSES, TaskcastError, type EventFilter } from '@taskcast/core'
import { validateEventFilter } from '@taskcast/core/internal'
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

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export const LOG_FORMATS = ['text', 'json'] as const
export const AUTH_MODES = ['none', 'jwt', 'custom'] as const
export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256', 'ES384', 'ES512'] as const

const REDIS_URL = url(['redis:', 'rediss:'], 'a redis:// or rediss:// URL')
const POSTGRES_URL = url(['postgres:', 'postgresql:'], 'a postgres:// or postgresql:// URL')
// Same rules as @taskcast/redis and @taskcast/postgres, checked here so the error names the key.
const KEY_PREFIX = string({ pattern: { regex: /^[^{}]*$/, description: 'a string without { or }' } })
const sqlIdentifier = (max: number) =>
  string({
    pattern: {
      regex: new RegExp(`^[a-z_][a-z0-9_]{0,${max - 1}}$`),
      description: `a lower-case SQL identifier matching /^[a-z_][a-z0-9_]*$/ of at most ${max} characters`,
    },
  })
const POSITIVE_INT = number({ min: 1 })

/** One origin (`'*'` for any) or a list of them. */
const stringOrList: Check<string | string[]> = (value, path, ctx) =>
  Array.isArray(value) ? list(string())(value, path, ctx) : string()(value, path, ctx)
const NON_NEGATIVE_INT = number({ min: 0 })

const retry = object({
  retries: number({ min: 0, max: 100 }),
  backoff: oneOf(['fixed', 'linear', 'exponential']),
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
  target: oneOf(['events', 'task', 'all']),
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
    broadcast: object({ provider: oneOf(['memory', 'redis']), url: REDIS_URL, keyPrefix: KEY_PREFIX }),
    shortTerm: object({
      provider: oneOf(['memory', 'redis']),
      url: REDIS_URL,
      keyPrefix: KEY_PREFIX,
      retentionSeconds: POSITIVE_INT,
    }),
    longTerm: object({
      provider: oneOf(['none', 'memory', 'postgres']),
      url: POSTGRES_URL,
      schema: sqlIdentifier(63),
      // PostgreSQL's 63-character limit, less the longest name the store appends.
      tablePrefix: sqlIdentifier(46),
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
}) as Check<unknown>

/**
 * Checks one layer of configuration (a file, the environment, the flags) key by key.
 * @throws TaskcastError `VALIDATION_ERROR` naming the first bad key.
 */
export function validateConfigLayer(value: unknown, ctx: CheckContext): TaskcastConfig {
  return configSchema(value, '', ctx) as TaskcastConfig
}
