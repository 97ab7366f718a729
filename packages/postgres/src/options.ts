// Options of PostgresLongTermStore and the single place where their defaults are applied.
import { TaskcastError } from '@taskcast/core'
import type { Pool } from 'pg'
import { createOwnedPool } from './connection.js'
import { tableNames, type TableNames } from './identifiers.js'

export const DEFAULT_SCHEMA = 'public'
export const DEFAULT_TABLE_PREFIX = 'taskcast_'
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000

/** Give exactly one of `pool` and `url`. */
export interface PostgresLongTermStoreOptions {
  /** An existing pool. The store uses it and leaves it open on `close()`. */
  pool?: Pool
  /** A connection URL. The store creates its own pool from it and ends it on `close()`. */
  url?: string
  /** Schema holding the tables; created by the migrations when missing. @defaultValue 'public' */
  schema?: string
  /** Prepended to every table and index name. @defaultValue 'taskcast_' */
  tablePrefix?: string
  /** Apply pending migrations before the first operation (see `runMigrations`). @defaultValue false */
  autoMigrate?: boolean
  /**
   * How long a pool created from `url` waits for a connection before the call fails with
   * `STORE_UNAVAILABLE` (pg's own default is to wait forever). Ignored with `pool`.
   * @defaultValue 10000
   */
  connectionTimeoutMillis?: number
}

export interface ResolvedOptions {
  pool: Pool
  ownsPool: boolean
  schema: string
  tablePrefix: string
  autoMigrate: boolean
  names: TableNames
}

/**
 * Validates the options and merges the defaults.
 * @throws TaskcastError `VALIDATION_ERROR` when neither or both of `pool` and `url` are given,
 * or when `schema` or `tablePrefix` is not a plain lower-case identifier.
 */
export function resolveOptions(options: PostgresLongTermStoreOptions): ResolvedOptions {
  const schema = options.schema ?? DEFAULT_SCHEMA
  const tablePrefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX
  // Validated before a pool exists, so a bad option never leaves a pool behind.
  const names = tableNames(schema, tablePrefix)
  if ((options.pool === undefined) === (options.url === undefined)) {
    throw new TaskcastError('VALIDATION_ERROR', 'PostgresLongTermStore needs exactly one of `pool` and `url`')
  }
  const pool =
    options.pool ??
    createOwnedPool({
      connectionString: options.url as string,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    })
  return {
    pool,
    ownsPool: options.pool === undefined,
    schema,
    tablePrefix,
    autoMigrate: options.autoMigrate ?? false,
    names,
  }
}
