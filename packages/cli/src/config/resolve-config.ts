// From a merged config to the one the server runs with: defaults applied once, here, and
// every rule that spans several keys checked before anything is started.
import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { AuthOptions, JwtAlgorithm } from '@taskcast/server'
import { configError } from './config-error.js'
import { PUBLIC_KEY_ALGORITHMS } from './config-schema.js'
import type {
  JwtConfig,
  RedisTarget,
  ResolvedBroadcast,
  ResolvedConfig,
  ResolvedLongTerm,
  ResolvedShortTerm,
  TaskcastConfig,
} from './config-types.js'

export const DEFAULT_PORT = 3721
/** Loopback only: serving the network is a choice (`--host 0.0.0.0`), and auth is off by default. */
export const DEFAULT_HOST = '127.0.0.1'
/** The SQLite database file when none is named, in the working directory. */
export const DEFAULT_SQLITE_PATH = 'taskcast.db'

function invalid(key: string, problem: string): never {
  throw configError(key, problem, key)
}

/**
 * Applies defaults and checks the rules that span keys: a secret or key for `jwt`, a function
 * for `custom`, a URL (or, for Redis, a cluster's seed nodes) for `redis` and `postgres`, a
 * readable public key file that fits the algorithm.
 *
 * @throws TaskcastError `VALIDATION_ERROR` whose message starts with the key at fault.
 */
export async function resolveConfig(config: TaskcastConfig, configFile?: string): Promise<ResolvedConfig> {
  const warnings: string[] = []
  const resolved: ResolvedConfig = {
    resolved: true,
    port: config.port ?? DEFAULT_PORT,
    host: config.host ?? DEFAULT_HOST,
    logLevel: config.logLevel ?? 'info',
    logFormat: config.logFormat ?? 'text',
    auth: await resolveAuth(config, warnings),
    adapters: resolveAdapters(config),
    webhook: config.webhook ?? {},
    metrics: resolveMetrics(config, warnings),
    // On by default (SPEC §21): the page a newcomer opens first.
    dashboard: { enabled: config.dashboard?.enabled ?? true },
    warnings,
  }
  if (config.sentry?.dsn) resolved.sentry = { ...config.sentry, dsn: config.sentry.dsn }
  if (config.cleanup?.rules) resolved.cleanup = { rules: config.cleanup.rules }
  if (config.limits) resolved.limits = config.limits
  if (config.sse) resolved.sse = config.sse
  if (config.cors) resolved.cors = config.cors
  if (configFile !== undefined) resolved.configFile = configFile
  return resolved
}

/** On by default (SPEC §21): a standalone server is scraped as it is. */
function resolveMetrics(config: TaskcastConfig, warnings: string[]): ResolvedConfig['metrics'] {
  const { enabled = true, token } = config.metrics ?? {}
  if (!enabled && token !== undefined) warnings.push('metrics.token is set but metrics.enabled is false: /metrics is not served')
  return { enabled, ...(token !== undefined && { token }) }
}

function resolveAdapters(config: TaskcastConfig): ResolvedConfig['adapters'] {
  // In this order, so the first key at fault is the one named.
  const broadcast = resolveBroadcast(config)
  const shortTerm = resolveShortTerm(config)
  return { broadcast, shortTerm, longTerm: resolveLongTerm(config, shortTerm) }
}

function hasKeyMaterial(jwt: JwtConfig | undefined): boolean {
  return jwt?.secret !== undefined || jwt?.publicKey !== undefined || jwt?.publicKeyFile !== undefined
}

async function resolveAuth(config: TaskcastConfig, warnings: string[]): Promise<AuthOptions> {
  const auth = config.auth ?? {}
  // Fail closed: configured credentials switch auth on unless a mode says otherwise.
  let mode = auth.mode
  if (mode === undefined) {
    if (auth.authenticate && hasKeyMaterial(auth.jwt)) {
      invalid('auth.mode', 'must be set when both auth.jwt and auth.authenticate are configured')
    }
    mode = auth.authenticate ? 'custom' : hasKeyMaterial(auth.jwt) ? 'jwt' : 'none'
  }
  if (mode === 'none') {
    if (hasKeyMaterial(auth.jwt)) warnings.push('auth.jwt is configured but auth.mode is none: requests are not authenticated')
    return { mode: 'none' }
  }
  if (mode === 'custom') {
    if (!auth.authenticate) {
      invalid('auth.authenticate', 'is required when auth.mode is custom (a function, so only a .ts/.js/.mjs config can give it)')
    }
    return { mode: 'custom', authenticate: auth.authenticate }
  }
  if (auth.authenticate) invalid('auth.authenticate', 'is only used with auth.mode custom (auth.mode is jwt)')
  return { mode: 'jwt', jwt: await resolveJwt(auth.jwt ?? {}) }
}

async function resolveJwt(jwt: JwtConfig): Promise<JwtConfig & { algorithm: JwtAlgorithm }> {
  const { secret, publicKey, publicKeyFile } = jwt
  if (secret === undefined && publicKey === undefined && publicKeyFile === undefined) {
    invalid(
      'auth.jwt.secret',
      'is required when auth.mode is jwt (set auth.jwt.secret or TASKCAST_JWT_SECRET; for RS256/ES* set auth.jwt.publicKeyFile or TASKCAST_JWT_PUBLIC_KEY_FILE)',
    )
  }
  if (publicKey !== undefined && publicKeyFile !== undefined) {
    invalid('auth.jwt.publicKeyFile', 'cannot be combined with auth.jwt.publicKey: give one')
  }
  if (secret !== undefined) {
    if (publicKey !== undefined || publicKeyFile !== undefined) {
      invalid('auth.jwt.secret', `cannot be combined with auth.jwt.${publicKey !== undefined ? 'publicKey' : 'publicKeyFile'}: HS256 uses the secret, RS256/ES* a public key`)
    }
    const algorithm = jwt.algorithm ?? 'HS256'
    if (algorithm !== 'HS256') invalid('auth.jwt.algorithm', `is ${algorithm}, which needs auth.jwt.publicKey or auth.jwt.publicKeyFile, not a secret`)
    return { ...jwt, algorithm }
  }

  // A public key: read it now, so a missing file or a key that does not fit fails the start.
  const keyName = publicKeyFile !== undefined ? 'auth.jwt.publicKeyFile' : 'auth.jwt.publicKey'
  let pem: string
  if (publicKeyFile !== undefined) {
    try {
      pem = await readFile(publicKeyFile, 'utf8')
    } catch (error) {
      invalid(keyName, `cannot read ${publicKeyFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }
  } else {
    pem = publicKey!
  }
  let key: KeyObject
  try {
    key = createPublicKey(pem)
  } catch {
    invalid(keyName, `${publicKeyFile ?? 'the value'} is not a PEM public key`)
  }
  const fits = algorithmOfKey(key)
  if (!fits) invalid(keyName, `holds a ${key.asymmetricKeyType ?? 'unknown'} key, which no supported algorithm (${PUBLIC_KEY_ALGORITHMS}) uses`)
  if (jwt.algorithm === 'HS256') invalid('auth.jwt.algorithm', `is HS256, which needs auth.jwt.secret, not ${keyName}`)
  const algorithm = jwt.algorithm ?? fits
  if (algorithm !== fits) invalid('auth.jwt.algorithm', `is ${algorithm}, but ${keyName} holds a key for ${fits}`)
  return { ...jwt, algorithm }
}

/** The one algorithm a public key can verify: RSA → RS256, P-256 → ES256, P-384 → ES384, P-521 → ES512. */
function algorithmOfKey(key: KeyObject): JwtAlgorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256'
  if (key.asymmetricKeyType !== 'ec') return undefined
  const curve = key.asymmetricKeyDetails?.namedCurve
  if (curve === 'prime256v1') return 'ES256'
  if (curve === 'secp384r1') return 'ES384'
  if (curve === 'secp521r1') return 'ES512'
  return undefined
}

function resolveBroadcast(config: TaskcastConfig): ResolvedBroadcast {
  const { provider = 'memory', url, cluster, keyPrefix } = config.adapters?.broadcast ?? {}
  if (provider === 'memory') {
    rejectKeysOf('adapters.broadcast', 'redis', provider, { url, cluster, keyPrefix })
    return { provider }
  }
  return { provider, ...resolveRedisTarget('adapters.broadcast', url, cluster), ...(keyPrefix !== undefined && { keyPrefix }) }
}

function resolveShortTerm(config: TaskcastConfig): ResolvedShortTerm {
  const { provider = 'memory', url, cluster, keyPrefix, retentionSeconds, path, synchronous } = config.adapters?.shortTerm ?? {}
  const redisKeys = { url, cluster, keyPrefix, retentionSeconds }
  const sqliteKeys = { path, synchronous }
  if (provider !== 'redis') rejectKeysOf('adapters.shortTerm', 'redis', provider, redisKeys)
  if (provider !== 'sqlite') rejectKeysOf('adapters.shortTerm', 'sqlite', provider, sqliteKeys)
  if (provider === 'memory') return { provider }
  if (provider === 'sqlite') return { provider, path: path ?? DEFAULT_SQLITE_PATH, ...(synchronous !== undefined && { synchronous }) }
  return {
    provider,
    ...resolveRedisTarget('adapters.shortTerm', url, cluster),
    ...(keyPrefix !== undefined && { keyPrefix }),
    ...(retentionSeconds !== undefined && { retentionSeconds }),
  }
}

/** One server or one cluster: exactly one of `url` and `cluster` (a layer's one replaces the other's from below). */
function resolveRedisTarget(at: string, url: string | undefined, cluster: string[] | undefined): RedisTarget {
  if (url !== undefined && cluster !== undefined) {
    invalid(`${at}.cluster`, `cannot be combined with ${at}.url: give one (the seed nodes of a Redis Cluster, or the URL of one Redis)`)
  }
  if (cluster !== undefined) return { cluster }
  if (url === undefined) {
    invalid(`${at}.url`, `is required when the provider is redis, unless ${at}.cluster is given (or set TASKCAST_REDIS_URL or TASKCAST_REDIS_CLUSTER)`)
  }
  return { url }
}

function resolveLongTerm(config: TaskcastConfig, shortTerm: ResolvedShortTerm): ResolvedLongTerm {
  const { provider = 'none', url, schema, tablePrefix, autoMigrate, path } = config.adapters?.longTerm ?? {}
  if (provider !== 'postgres') rejectKeysOf('adapters.longTerm', 'postgres', provider, { url, schema, tablePrefix, autoMigrate })
  if (provider !== 'sqlite') rejectKeysOf('adapters.longTerm', 'sqlite', provider, { path })
  // One file for both by default: the archive's tables are apart from the short-term store's.
  if (provider === 'sqlite') return { provider, path: path ?? (shortTerm.provider === 'sqlite' ? shortTerm.path : DEFAULT_SQLITE_PATH) }
  if (provider !== 'postgres') return { provider }
  if (url === undefined) invalid('adapters.longTerm.url', 'is required when the provider is postgres (or set TASKCAST_POSTGRES_URL)')
  return {
    provider,
    url,
    autoMigrate: autoMigrate ?? true,
    ...(schema !== undefined && { schema }),
    ...(tablePrefix !== undefined && { tablePrefix }),
  }
}

/** Keys of `owner` (a provider) given while the adapter at `at` has another `provider`. */
function rejectKeysOf(at: string, owner: string, provider: string, values: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) invalid(`${at}.${key}`, `is only used with provider ${owner} (the provider is ${provider})`)
  }
}
