// Builds the three storage layers from a resolved config and proves they answer before the
// server starts; if one does not, whatever was opened is closed again.
import {
  MemoryBroadcastProvider,
  MemoryLongTermStore,
  MemoryShortTermStore,
  TaskcastError,
  type BroadcastProvider,
  type LongTermStore,
  type ShortTermStore,
} from '@taskcast/core'
import { withTimeout } from '@taskcast/core/internal'
import { adapterOptionError } from './config/config-error.js'
import type { RedisTarget, ResolvedConfig } from './config/config-types.js'
import { errorText } from './error-text.js'
import type { Logger } from './logger.js'
import { redactUrl } from './redact-url.js'

type AdapterConfig = ResolvedConfig['adapters']

/** How long a store may take to answer at startup before it counts as unreachable. */
const REACHABLE_TIMEOUT_MS = 5000

export interface Adapters {
  broadcast: BroadcastProvider
  shortTermStore: ShortTermStore
  longTermStore?: LongTermStore
  /** Closes every connection the adapters opened; never rejects. */
  close(): Promise<void>
}

/**
 * `memory`, `sqlite(taskcast.db)`, `redis(redis://127.0.0.1:6379)`, `redis-cluster(redis://10.0.0.1:7000,redis://10.0.0.2:7000)`,
 * `none`… — for the startup banner (passwords masked).
 */
export function describeAdapters(config: AdapterConfig): { broadcast: string; shortTerm: string; longTerm: string } {
  const describe = (adapter: { provider: string; url?: string; cluster?: string[]; path?: string }) => {
    if (adapter.cluster !== undefined) return `${adapter.provider}-cluster(${adapter.cluster.map(redactUrl).join(',')})`
    if (adapter.path !== undefined) return `${adapter.provider}(${adapter.path})`
    return adapter.url === undefined ? adapter.provider : `${adapter.provider}(${redactUrl(adapter.url)})`
  }
  return {
    broadcast: describe(config.broadcast),
    shortTerm: describe(config.shortTerm),
    longTerm: describe(config.longTerm),
  }
}

/** What a startup error names: `Redis at redis://…`, `(adapters.shortTerm.url)`. */
interface Endpoint {
  service: string
  /** Passwords masked. */
  address: string
  key: string
}

/** The endpoint of a Redis adapter's target: one server by its URL, or a cluster by its seed nodes. */
function redisEndpoint(at: string, target: RedisTarget): Endpoint {
  if (target.cluster !== undefined) {
    return { service: 'Redis Cluster', address: target.cluster.map(redactUrl).join(', '), key: `${at}.cluster` }
  }
  return { service: 'Redis', address: redactUrl(target.url), key: `${at}.url` }
}

/** Where a Redis adapter's options say to connect, alone: `{ url }` or `{ cluster }`. */
function targetOf(config: RedisTarget): RedisTarget {
  return config.cluster !== undefined ? { cluster: config.cluster } : { url: config.url }
}

function sameTarget(a: RedisTarget, b: RedisTarget | undefined): boolean {
  return b !== undefined && JSON.stringify(targetOf(a)) === JSON.stringify(targetOf(b))
}

/** An adapter built but not yet known to answer, with the check that proves it does. */
interface Built<T> {
  adapter: T
  check?: () => Promise<void>
}

type Closable = { close(): Promise<void> }

/**
 * Opens the adapters and checks that each one answers (Redis: a PING and the pub/sub
 * connection; PostgreSQL: the migrations when `autoMigrate`, else a `SELECT 1`; SQLite: the
 * file is opened, checked and migrated as the store is built).
 *
 * Every adapter is built before any is waited for: each checks its own options when it is
 * constructed (`keyPrefix`, `schema`, `tablePrefix`…), so a bad option fails the start at once,
 * whether or not the stores answer.
 *
 * @throws TaskcastError `VALIDATION_ERROR` naming the config key of an option an adapter refused,
 * `STORE_UNAVAILABLE` naming the key and the address that did not answer, or `INTERNAL` when
 * migrations fail. Nothing stays open after a throw.
 */
export async function openAdapters(config: AdapterConfig, logger: Logger): Promise<Adapters> {
  const opened: Closable[] = []
  const closeAll = async () => {
    await Promise.allSettled(opened.reverse().map((adapter) => adapter.close()))
  }
  try {
    const shortTerm = await buildShortTerm(config.shortTerm, opened)
    const probed = config.shortTerm.provider === 'redis' ? targetOf(config.shortTerm) : undefined
    const broadcast = await buildBroadcast(config.broadcast, probed, opened, logger)
    const longTerm = await buildLongTerm(config.longTerm, opened, logger)
    for (const built of [shortTerm, broadcast, longTerm]) await built.check?.()
    return {
      broadcast: broadcast.adapter,
      shortTermStore: shortTerm.adapter,
      ...(longTerm.adapter && { longTermStore: longTerm.adapter }),
      close: closeAll,
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}

/**
 * Constructs an adapter. An option it refuses (`VALIDATION_ERROR` with `details.field`) becomes
 * the one-line error of the config key it came from: `adapters.shortTerm.keyPrefix: <the adapter's words>`.
 */
function construct<T>(at: string, create: () => T): T {
  try {
    return create()
  } catch (error) {
    throw adapterOptionError(error, at)
  }
}

async function buildShortTerm(config: AdapterConfig['shortTerm'], opened: Closable[]): Promise<Built<ShortTermStore>> {
  if (config.provider === 'memory') return { adapter: new MemoryShortTermStore() }
  if (config.provider === 'sqlite') {
    const { SqliteShortTermStore } = await import('@taskcast/sqlite')
    const { provider: _, ...options } = config
    // Opened, checked and migrated by the constructor: a file it cannot use fails here, untouched.
    const store = construct('adapters.shortTerm', () => new SqliteShortTermStore(options))
    opened.push(store)
    return { adapter: store }
  }
  const { RedisShortTermStore } = await import('@taskcast/redis')
  const { provider: _, ...options } = config
  const store = construct('adapters.shortTerm', () => new RedisShortTermStore(options))
  opened.push(store)
  return { adapter: store, check: () => reachable(store.ping(), redisEndpoint('adapters.shortTerm', config)) }
}

async function buildBroadcast(
  config: AdapterConfig['broadcast'],
  probedRedis: RedisTarget | undefined,
  opened: Closable[],
  logger: Logger,
): Promise<Built<BroadcastProvider>> {
  if (config.provider === 'memory') return { adapter: new MemoryBroadcastProvider() }
  const { RedisBroadcastProvider, RedisShortTermStore } = await import('@taskcast/redis')
  const { provider: _, ...options } = config
  const broadcast = construct('adapters.broadcast', () => new RedisBroadcastProvider(options))
  broadcast.onError = (error) => logger.error('redis broadcast error', { error: errorText(error) })
  broadcast.onHandlerError = (error) => logger.error('broadcast handler failed', { error: errorText(error) })
  opened.push(broadcast)
  const endpoint = redisEndpoint('adapters.broadcast', config)
  const check = async () => {
    if (!sameTarget(config, probedRedis)) {
      // The provider's own readiness waits for a reconnect forever; a one-off PING fails at once
      // with the reason (refused, DNS, auth…), which is what the error line should say.
      const probe = new RedisShortTermStore(targetOf(config))
      try {
        await reachable(probe.ping(), endpoint)
      } finally {
        await probe.close()
      }
    }
    await reachable(broadcast.ready(), endpoint)
  }
  return { adapter: broadcast, check }
}

async function buildLongTerm(
  config: AdapterConfig['longTerm'],
  opened: Closable[],
  logger: Logger,
): Promise<Built<LongTermStore | undefined>> {
  if (config.provider === 'none') return { adapter: undefined }
  if (config.provider === 'memory') return { adapter: new MemoryLongTermStore() }
  if (config.provider === 'sqlite') {
    const { SqliteLongTermStore } = await import('@taskcast/sqlite')
    const store = construct('adapters.longTerm', () => new SqliteLongTermStore({ path: config.path }))
    opened.push(store)
    return { adapter: store }
  }
  const { PostgresLongTermStore } = await import('@taskcast/postgres')
  const { provider: _, autoMigrate, ...options } = config
  const store = construct(
    'adapters.longTerm',
    () => new PostgresLongTermStore({ ...options, connectionTimeoutMillis: REACHABLE_TIMEOUT_MS }),
  )
  opened.push(store)
  const endpoint = { service: 'PostgreSQL', address: redactUrl(config.url), key: 'adapters.longTerm.url' }
  const check = async () => {
    if (!autoMigrate) {
      await reachable(store.ping(), endpoint)
      return
    }
    const applied = await reachable(store.migrate(), endpoint)
    if (applied.length > 0) {
      logger.info('applied PostgreSQL migrations', { migrations: applied.map((m) => `${m.version}-${m.name}`).join(',') })
    }
  }
  return { adapter: store, check }
}

/** Waits for `check`, turning a failure or a timeout into one line with the address and the key. */
async function reachable<T>(check: Promise<T>, { service, address, key }: Endpoint): Promise<T> {
  const timedOut = Symbol('timed out')
  try {
    const answer = await withTimeout(check, REACHABLE_TIMEOUT_MS, timedOut)
    if (answer === timedOut) throw new TaskcastError('STORE_UNAVAILABLE', `no answer within ${REACHABLE_TIMEOUT_MS / 1000} s`)
    return answer as T
  } catch (error) {
    const code = TaskcastError.isInstance(error) && error.code === 'INTERNAL' ? 'INTERNAL' : 'STORE_UNAVAILABLE'
    const what = code === 'INTERNAL' ? `${service} at ${address} (${key}) failed` : `cannot reach ${service} at ${address} (${key})`
    throw new TaskcastError(code, `${what}: ${errorText(error)}`, { cause: error })
  } finally {
    // The losing promise may still reject later (e.g. once the adapters are closed).
    check.catch(() => undefined)
  }
}
