// `taskcast migrate`: apply the PostgreSQL migrations of the configured long-term store.
import { validateConfigLayer } from '../config/config-schema.js'
import { adapterOptionError, configError } from '../config/config-error.js'
import { loadConfigLayers } from '../config/load-config.js'
import { errorText } from '../error-text.js'
import { redactUrl } from '../redact-url.js'
import { TaskcastError } from '@taskcast/core'

export interface MigrateCommandOptions {
  config?: string
  /** `--url`: overrides `adapters.longTerm.url` and `TASKCAST_POSTGRES_URL`. */
  url?: string
  schema?: string
  tablePrefix?: string
}

const FLAG_BY_KEY: Record<string, string> = {
  'adapters.longTerm.url': '--url',
  'adapters.longTerm.schema': '--schema',
  'adapters.longTerm.tablePrefix': '--table-prefix',
}

/**
 * Applies pending migrations to the PostgreSQL of `adapters.longTerm` (file < env < flags).
 * Only that part of the config is needed: the rest is not checked here.
 * @returns the lines to print.
 * @throws TaskcastError `VALIDATION_ERROR` when no PostgreSQL is configured or the store refuses
 * the schema or table prefix, `STORE_UNAVAILABLE` naming the address when it does not answer,
 * `INTERNAL` when a migration fails.
 */
export async function migrateCommand(options: MigrateCommandOptions, print: (line: string) => void): Promise<void> {
  const longTerm: Record<string, unknown> = {}
  if (options.url !== undefined) Object.assign(longTerm, { provider: 'postgres', url: options.url })
  if (options.schema !== undefined) longTerm.schema = options.schema
  if (options.tablePrefix !== undefined) longTerm.tablePrefix = options.tablePrefix
  const flagged = new Set(Object.keys(longTerm).map((field) => `adapters.longTerm.${field}`))
  const flags = validateConfigLayer(
    { adapters: { longTerm } },
    { describe: (path) => FLAG_BY_KEY[path] ?? path, coerce: () => true, hint: () => undefined },
  )
  const { config } = await loadConfigLayers(options.config !== undefined ? { configFile: options.config } : {}, flags)
  const target = config.adapters?.longTerm
  if (target?.provider !== 'postgres' || target.url === undefined) {
    throw configError(
      'adapters.longTerm',
      'is not a PostgreSQL store: pass --url, set TASKCAST_POSTGRES_URL, or configure adapters.longTerm (provider: postgres, url) in the config file',
      'adapters.longTerm',
    )
  }

  const { runMigrations } = await import('@taskcast/postgres')
  const where = `${redactUrl(target.url)} (schema ${target.schema ?? 'public'}, table prefix ${target.tablePrefix ?? 'taskcast_'})`
  let applied
  try {
    applied = await runMigrations(target.url, {
      ...(target.schema !== undefined && { schema: target.schema }),
      ...(target.tablePrefix !== undefined && { tablePrefix: target.tablePrefix }),
      connectionTimeoutMillis: 5000,
    })
  } catch (error) {
    // The store checks schema and tablePrefix itself; name the flag when it gave the value.
    const refused = adapterOptionError(error, 'adapters.longTerm', (key) => (flagged.has(key) ? FLAG_BY_KEY[key]! : key))
    if (refused !== error) throw refused
    const unreachable = TaskcastError.isInstance(error) && error.code === 'STORE_UNAVAILABLE'
    const message = unreachable
      ? `cannot reach PostgreSQL at ${redactUrl(target.url)}: ${errorText(error)}`
      : `migrating ${where} failed: ${errorText(error)}`
    throw new TaskcastError(unreachable ? 'STORE_UNAVAILABLE' : 'INTERNAL', message, { cause: error })
  }
  if (applied.length === 0) {
    print(`up to date: ${where}`)
    return
  }
  for (const migration of applied) print(`applied ${String(migration.version).padStart(4, '0')}-${migration.name}`)
  print(`${applied.length} migration${applied.length === 1 ? '' : 's'} applied to ${where}`)
}
