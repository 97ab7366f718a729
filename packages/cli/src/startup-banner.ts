// What a server that has just started tells its operator: where it listens and with what, what a
// restart would lose, and whether anyone on the network can use it.
import { describeAdapters } from './adapters.js'
import type { AuthMode, ResolvedConfig } from './config/config-types.js'
import { isLoopback, isWildcard } from './listen-address.js'
import type { Logger } from './logger.js'
import { VERSION } from './version.js'

/** How to keep tasks across restarts, as the in-memory note puts it: a SQLite file, no service needed. */
export const KEEP_TASKS_HINT = 'start with --storage sqlite (kept in taskcast.db, or --db <file>)'

export interface StartupFacts {
  config: ResolvedConfig
  /** The address actually bound (`127.0.0.1`, `0.0.0.0`, `::1`…), not the configured host. */
  address: string
  port: number
  /** The URL of that address (see `listenUrl`). */
  url: string
  sentry: boolean
}

/**
 * Logs the banner, then, when they apply, an `info` line saying tasks live in memory and a `warn`
 * line saying the server is open to the network without auth.
 */
export function logStartup(logger: Logger, facts: StartupFacts): void {
  const { config, port, url } = facts
  const stores = describeAdapters(config.adapters)
  // Tests and scripts read the address from this line: keep `listening on <url>` stable.
  logger.info(`listening on ${url}`, {
    version: VERSION,
    host: config.host,
    port,
    broadcast: stores.broadcast,
    shortTerm: stores.shortTerm,
    longTerm: stores.longTerm,
    auth: config.auth.mode,
    sentry: facts.sentry ? 'on' : 'off',
    config: config.configFile ?? 'none',
    // Last, where a newcomer's eye ends the line: the page to open.
    ...(config.dashboard.enabled && { dashboard: `${url}/dashboard` }),
  })
  const volatile = inMemoryNote(config.adapters)
  if (volatile) logger.info(volatile)
  const exposed = exposureWarning(config.auth.mode, facts.address)
  if (exposed) logger.warn(exposed)
}

/** What a restart loses when the short-term store is memory; nothing to say otherwise. */
export function inMemoryNote(adapters: ResolvedConfig['adapters']): string | undefined {
  if (adapters.shortTerm.provider !== 'memory') return undefined
  // PostgreSQL still has every task after a restart, but only the short-term store can move one on.
  if (adapters.longTerm.provider === 'postgres') {
    return `unfinished tasks are kept in memory and cannot continue after a restart (PostgreSQL keeps what they wrote): to keep them, ${KEEP_TASKS_HINT}`
  }
  return `tasks are kept in memory and lost on restart: to keep them, ${KEEP_TASKS_HINT}`
}

/** The warning for a server anyone on the network can use: auth `none` on a non-loopback address. */
export function exposureWarning(auth: AuthMode, address: string): string | undefined {
  if (auth !== 'none' || isLoopback(address)) return undefined
  const where = isWildcard(address) ? `every interface (${address})` : address
  return `listening on ${where} with auth none: anyone who can reach it can read and write every task; turn auth on (TASKCAST_JWT_SECRET, or auth in the config file) or listen on 127.0.0.1`
}
