// Environment variables → a config layer. Each variable maps to one or more config keys, and
// an error about such a key names the variable.
import { LOG_FORMATS, LOG_LEVELS } from '../logger.js'
import { configError } from './config-error.js'
import { AUTH_MODES, PUBLIC_KEY_ALGORITHMS, SHORT_TERM_PROVIDERS, validateConfigLayer } from './config-schema.js'
import type { TaskcastConfig } from './config-types.js'

/** `` `debug` | `info` `` …: the values a variable takes, for the help and the README. */
const choices = (values: readonly string[]) => values.map((v) => `\`${v}\``).join(' | ')

/**
 * Every variable the CLI reads, the keys it sets, and what it means (the README's table is this
 * list). A `list` variable holds comma-separated items.
 */
export const ENV_VARIABLES = [
  { name: 'TASKCAST_PORT', keys: ['port'], description: 'Server port', defaultValue: '3721' },
  { name: 'TASKCAST_HOST', keys: ['host'], description: 'Address to listen on', defaultValue: '127.0.0.1' },
  { name: 'TASKCAST_AUTH_MODE', keys: ['auth.mode'], description: choices(AUTH_MODES), defaultValue: '`none`' },
  { name: 'TASKCAST_JWT_SECRET', keys: ['auth.jwt.secret'], description: 'JWT HMAC secret (HS256)', defaultValue: '—' },
  {
    name: 'TASKCAST_JWT_PUBLIC_KEY_FILE',
    keys: ['auth.jwt.publicKeyFile'],
    description: `Path to a PEM JWT public key (${PUBLIC_KEY_ALGORITHMS})`,
    defaultValue: '—',
  },
  {
    name: 'TASKCAST_STORAGE',
    keys: ['adapters.shortTerm.provider'],
    description: `Where tasks live: ${choices(SHORT_TERM_PROVIDERS)} (\`redis\` also broadcasts through Redis)`,
    defaultValue: '`memory`',
  },
  {
    name: 'TASKCAST_SQLITE_PATH',
    keys: ['adapters.shortTerm.path'],
    description: 'SQLite database file: tasks kept in it (storage `sqlite`)',
    defaultValue: '`taskcast.db`',
  },
  {
    name: 'TASKCAST_REDIS_URL',
    keys: ['adapters.broadcast.url', 'adapters.shortTerm.url'],
    description: 'Redis URL: broadcast and short-term store on Redis',
    defaultValue: '—',
  },
  {
    name: 'TASKCAST_REDIS_CLUSTER',
    keys: ['adapters.broadcast.cluster', 'adapters.shortTerm.cluster'],
    description: 'Redis Cluster seed node URLs, comma-separated (instead of a Redis URL)',
    defaultValue: '—',
    list: true,
  },
  {
    name: 'TASKCAST_POSTGRES_URL',
    keys: ['adapters.longTerm.url'],
    description: 'PostgreSQL URL: long-term store on PostgreSQL',
    defaultValue: '—',
  },
  { name: 'TASKCAST_LOG_LEVEL', keys: ['logLevel'], description: choices(LOG_LEVELS), defaultValue: '`info`' },
  { name: 'TASKCAST_LOG_FORMAT', keys: ['logFormat'], description: choices(LOG_FORMATS), defaultValue: '`text`' },
  { name: 'SENTRY_DSN', keys: ['sentry.dsn'], description: 'Sentry DSN; Sentry reporting is on when set', defaultValue: '—' },
  { name: 'TASKCAST_METRICS_ENABLED', keys: ['metrics.enabled'], description: 'Serve GET /metrics (Prometheus): true | false', defaultValue: '`true`' },
  { name: 'TASKCAST_METRICS_TOKEN', keys: ['metrics.token'], description: 'Bearer token a scraper must send to /metrics', defaultValue: '—' },
  { name: 'TASKCAST_DASHBOARD_ENABLED', keys: ['dashboard.enabled'], description: 'Serve the dashboard page at GET /dashboard: true | false', defaultValue: '`true`' },
] as const

/** The config keys an environment variable sets, mapped to its name (for messages). */
export const ENV_NAME_BY_KEY: ReadonlyMap<string, string> = new Map(
  ENV_VARIABLES.flatMap((v) => v.keys.map((key) => [key, v.name] as const)),
)

/** How a message names `path`: `TASKCAST_PORT`, or `TASKCAST_REDIS_CLUSTER item 2` for an item of a list variable. */
function describeEnvPath(path: string): string {
  const [, key = path, index] = /^(.*?)(?:\[(\d+)\])?$/.exec(path) ?? []
  const name = ENV_NAME_BY_KEY.get(key)
  if (name === undefined) return `environment: ${path}`
  return index === undefined ? name : `${name} item ${Number(index) + 1}`
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.')
  let node = target
  for (const part of parts.slice(0, -1)) {
    node = (node[part] ??= {}) as Record<string, unknown>
  }
  node[parts[parts.length - 1]!] = value
}

/**
 * The config layer the environment describes. Empty variables count as unset.
 * `TASKCAST_REDIS_URL` or `TASKCAST_REDIS_CLUSTER` (or `TASKCAST_STORAGE=redis`) also selects the `redis` provider for
 * broadcast and short-term, `TASKCAST_SQLITE_PATH` the `sqlite` provider for short-term, and `TASKCAST_POSTGRES_URL` the
 * `postgres` provider for long-term.
 *
 * @throws TaskcastError `VALIDATION_ERROR` naming the variable.
 */
export function configFromEnv(env: Record<string, string | undefined>): TaskcastConfig {
  const raw: Record<string, unknown> = {}
  const get = (name: string): string | undefined => {
    const value = env[name]
    return value === undefined || value.trim() === '' ? undefined : value
  }
  for (const variable of ENV_VARIABLES) {
    const value = get(variable.name)
    if (value === undefined) continue
    const parsed = 'list' in variable ? value.split(',').map((item) => item.trim()) : value
    for (const key of variable.keys) setPath(raw, key, parsed)
  }
  if (get('TASKCAST_JWT_SECRET') !== undefined && get('TASKCAST_JWT_PUBLIC_KEY_FILE') !== undefined) {
    throw configError('TASKCAST_JWT_SECRET', 'and TASKCAST_JWT_PUBLIC_KEY_FILE are both set: use one (HS256 secret or public key)')
  }
  const redisUrl = get('TASKCAST_REDIS_URL') !== undefined
  const redisCluster = get('TASKCAST_REDIS_CLUSTER') !== undefined
  if (redisUrl && redisCluster) {
    throw configError('TASKCAST_REDIS_URL', 'and TASKCAST_REDIS_CLUSTER are both set: use one (one Redis, or the seed nodes of a Redis Cluster)')
  }
  // An unknown value is left to the schema's check, which names the variable.
  const named = get('TASKCAST_STORAGE')
  const storage = (SHORT_TERM_PROVIDERS as readonly string[]).includes(named ?? '') ? named : undefined
  const sqlitePath = get('TASKCAST_SQLITE_PATH') !== undefined
  const redis = redisUrl || redisCluster ? (redisUrl ? 'TASKCAST_REDIS_URL' : 'TASKCAST_REDIS_CLUSTER') : undefined
  if (sqlitePath && redis) {
    throw configError('TASKCAST_SQLITE_PATH', `and ${redis} are both set: use one (tasks in a SQLite file, or in Redis)`)
  }
  if (storage !== undefined && storage !== 'redis' && redis) {
    throw configError('TASKCAST_STORAGE', `is ${storage}, but ${redis} is set: unset it, or set TASKCAST_STORAGE=redis`)
  }
  if (storage !== undefined && storage !== 'sqlite' && sqlitePath) {
    throw configError('TASKCAST_STORAGE', `is ${storage}, but TASKCAST_SQLITE_PATH is set: unset it, or set TASKCAST_STORAGE=sqlite`)
  }
  if (redis || storage === 'redis') {
    setPath(raw, 'adapters.broadcast.provider', 'redis')
    setPath(raw, 'adapters.shortTerm.provider', 'redis')
  }
  if (sqlitePath) setPath(raw, 'adapters.shortTerm.provider', 'sqlite')
  if (get('TASKCAST_POSTGRES_URL') !== undefined) setPath(raw, 'adapters.longTerm.provider', 'postgres')

  return validateConfigLayer(raw, {
    describe: describeEnvPath,
    coerce: () => true,
    hint: () => undefined,
  })
}
