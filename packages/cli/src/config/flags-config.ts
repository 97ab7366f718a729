// Command-line flags → the config layer with the highest precedence.
import { validateConfigLayer } from './config-schema.js'
import type { TaskcastConfig } from './config-types.js'

/** Flags as commander hands them over: strings, absent when not given. */
export interface ConfigFlags {
  port?: string | number
  host?: string
  logLevel?: string
  logFormat?: string
  /** `--storage memory|sqlite|redis`: where tasks live. */
  storage?: string
  /** `--db <file>`: the SQLite database file (storage `sqlite`). */
  db?: string
}

const FLAG_BY_KEY: Record<string, string> = {
  port: '--port',
  host: '--host',
  logLevel: '--log-level',
  logFormat: '--log-format',
  'adapters.shortTerm.provider': '--storage',
  'adapters.shortTerm.path': '--db',
}

/**
 * `--storage redis` also broadcasts through Redis (as `TASKCAST_REDIS_URL` does); `--db` alone
 * means storage `sqlite`.
 * @throws TaskcastError `VALIDATION_ERROR` naming the flag.
 */
export function configFromFlags(flags: ConfigFlags): TaskcastConfig {
  const raw: Record<string, unknown> = {}
  for (const key of ['port', 'host', 'logLevel', 'logFormat'] as const) {
    const value = flags[key]
    if (value !== undefined) raw[key] = value
  }
  const provider = flags.storage ?? (flags.db !== undefined ? 'sqlite' : undefined)
  if (provider !== undefined || flags.db !== undefined) {
    raw.adapters = {
      ...(provider === 'redis' && { broadcast: { provider } }),
      shortTerm: { ...(provider !== undefined && { provider }), ...(flags.db !== undefined && { path: flags.db }) },
    }
  }
  return validateConfigLayer(raw, {
    describe: (path) => FLAG_BY_KEY[path] ?? path,
    coerce: () => true,
    hint: () => undefined,
  })
}
