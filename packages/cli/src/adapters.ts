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
import type { ResolvedConfig } from './config/config-types.js'
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

/** `memory`, `redis redis://127.0.0.1:6379`, `none`… — for the startup banner (passwords masked). */
export function describeAdapters(config: AdapterConfig): { broadcast: string; shortTerm: string; longTerm: string } {
  const describe = (adapter: { provider: string; url?: string }) =>
    adapter.url === undefined ? adapter.provider : `${adapter.provider}(${redactUrl(adapter.url)})`
  return {
    broadcast: describe(config.broadcast),
    shortTerm: describe(config.shortTerm),
    longTerm: describe(config.longTerm),
  }
}

/**
 * Opens the adapters and checks that each one answers (Redis: a PING and the pub/sub
 * connection; PostgreSQL: the migrations when `autoMigrate`, else a `SELECT 1`).
 *
 * @throws TaskcastError `STORE_UNAVAILABLE` naming the key and the address that did not answer,
 * or `INTERNAL` when migrations fail. Nothing stays open after a throw.
 */
export async function openAdapters(config: AdapterConfig, logger: Logger): Promise<Adapters> {
  const opened: { close(): Promise<void> }[] = []
  const closeAll = async () => {
    await Promise.allSettled(opened.reverse().map((adapter) => adapter.close()))
  }
  try {
    const shortTermStore = await openShortTerm(config.shortTerm, opened)
    const probed = config.shortTerm.provider === 'redis' ? config.shortTerm.url : undefined
    const broadcast = await openBroadcast(config.broadcast, probed, opened, logger)
    const longTermStore = await openLongTerm(config.longTerm, opened, logger)
    return {
      broadcast,
      shortTermStore,
      ...(longTermStore && { longTermStore }),
      close: closeAll,
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}

async function openShortTerm(config: AdapterConfig['shortTerm'], opened: { close(): Promise<void> }[]): Promise<ShortTermStore> {
  if (config.provider === 'memory') return new MemoryShortTermStore()
  const { RedisShortTermStore } = await import('@taskcast/redis')
  const store = new RedisShortTermStore({
    url: config.url,
    ...(config.keyPrefix !== undefined && { keyPrefix: config.keyPrefix }),
    ...(config.retentionSeconds !== undefined && { retentionSeconds: config.retentionSeconds }),
  })
  opened.push(store)
  await reachable(store.ping(), 'Redis', config.url, 'adapters.shortTerm.url')
  return store
}

async function openBroadcast(
  config: AdapterConfig['broadcast'],
  probedRedisUrl: string | undefined,
  opened: { close(): Promise<void> }[],
  logger: Logger,
): Promise<BroadcastProvider> {
  if (config.provider === 'memory') return new MemoryBroadcastProvider()
  const { RedisBroadcastProvider, RedisShortTermStore } = await import('@taskcast/redis')
  if (config.url !== probedRedisUrl) {
    // The provider's own readiness waits for a reconnect forever; a one-off PING fails at once
    // with the reason (refused, DNS, auth…), which is what the error line should say.
    const probe = new RedisShortTermStore({ url: config.url })
    try {
      await reachable(probe.ping(), 'Redis', config.url, 'adapters.broadcast.url')
    } finally {
      await probe.close()
    }
  }
  const broadcast = new RedisBroadcastProvider({
    url: config.url,
    ...(config.keyPrefix !== undefined && { keyPrefix: config.keyPrefix }),
  })
  broadcast.onError = (error) => logger.error('redis broadcast error', { error: errorText(error) })
  broadcast.onHandlerError = (error) => logger.error('broadcast handler failed', { error: errorText(error) })
  opened.push(broadcast)
  await reachable(broadcast.ready(), 'Redis', config.url, 'adapters.broadcast.url')
  return broadcast
}

async function openLongTerm(
  config: AdapterConfig['longTerm'],
  opened: { close(): Promise<void> }[],
  logger: Logger,
): Promise<LongTermStore | undefined> {
  if (config.provider === 'none') return undefined
  if (config.provider === 'memory') return new MemoryLongTermStore()
  const { PostgresLongTermStore } = await import('@taskcast/postgres')
  const store = new PostgresLongTermStore({
    url: config.url,
    ...(config.schema !== undefined && { schema: config.schema }),
    ...(config.tablePrefix !== undefined && { tablePrefix: config.tablePrefix }),
    connectionTimeoutMillis: REACHABLE_TIMEOUT_MS,
  })
  opened.push(store)
  if (!config.autoMigrate) {
    await reachable(store.ping(), 'PostgreSQL', config.url, 'adapters.longTerm.url')
    return store
  }
  const applied = await reachable(store.migrate(), 'PostgreSQL', config.url, 'adapters.longTerm.url')
  if (applied.length > 0) {
    logger.info('applied PostgreSQL migrations', { migrations: applied.map((m) => `${m.version}-${m.name}`).join(',') })
  }
  return store
}

/** Waits for `check`, turning a failure or a timeout into one line with the address and the key. */
async function reachable<T>(check: Promise<T>, service: string, url: string, key: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TaskcastError('STORE_UNAVAILABLE', `no answer within ${REACHABLE_TIMEOUT_MS / 1000} s`)),
      REACHABLE_TIMEOUT_MS,
    )
  })
  try {
    return await Promise.race([check, timeout])
  } catch (error) {
    const code = TaskcastError.isInstance(error) && error.code === 'INTERNAL' ? 'INTERNAL' : 'STORE_UNAVAILABLE'
    const what = code === 'INTERNAL' ? `${service} at ${redactUrl(url)} (${key}) failed` : `cannot reach ${service} at ${redactUrl(url)} (${key})`
    throw new TaskcastError(code, `${what}: ${errorText(error)}`, { cause: error })
  } finally {
    clearTimeout(timer)
    // The losing promise may still reject later (e.g. once the adapters are closed).
    check.catch(() => undefined)
  }
}
