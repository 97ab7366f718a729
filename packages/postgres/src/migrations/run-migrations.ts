// Applies pending migrations, one transaction each, serialised across processes by an advisory lock.
import type { Pool, PoolClient } from 'pg'
import { createOwnedPool, withTransaction } from '../connection.js'
import { tableNames, type TableNames } from '../identifiers.js'
import { DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_SCHEMA, DEFAULT_TABLE_PREFIX } from '../options.js'
import { MIGRATIONS } from './all.js'
import { renderMigration, type Migration } from './migration.js'

export interface RunMigrationsOptions {
  /** @defaultValue 'public' */
  schema?: string
  /** @defaultValue 'taskcast_' */
  tablePrefix?: string
  /** Only used when a URL is given (the pool is then created and closed here). @defaultValue 10000 */
  connectionTimeoutMillis?: number
}

export interface AppliedMigration {
  version: number
  name: string
}

/**
 * Brings the schema up to date: creates the schema and the `<prefix>migrations` table when
 * missing, then applies every migration not recorded there, each in its own transaction.
 *
 * Each transaction first takes `pg_advisory_xact_lock` on a key derived from the schema and
 * prefix, so processes starting together wait for each other and each migration is applied
 * exactly once. Running it again is a no-op.
 *
 * @param target an existing pool (left open) or a connection URL (a pool is created and closed).
 * @returns the migrations this call applied, in order; `[]` when the schema was up to date.
 * @throws TaskcastError `STORE_UNAVAILABLE` when PostgreSQL cannot be reached,
 * `VALIDATION_ERROR` for an invalid schema or prefix, `INTERNAL` when a migration fails.
 * @example
 * ```ts
 * const applied = await runMigrations(process.env.DATABASE_URL!, { schema: 'taskcast' })
 * console.log(applied.map((m) => m.version))
 * ```
 */
export async function runMigrations(target: Pool | string, options: RunMigrationsOptions = {}): Promise<AppliedMigration[]> {
  const schema = options.schema ?? DEFAULT_SCHEMA
  const tablePrefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX
  const names = tableNames(schema, tablePrefix)
  const pool =
    typeof target === 'string'
      ? createOwnedPool({
          connectionString: target,
          connectionTimeoutMillis: options.connectionTimeoutMillis ?? DEFAULT_CONNECTION_TIMEOUT_MS,
          max: 1,
        })
      : target
  try {
    const applied: AppliedMigration[] = []
    for (;;) {
      const next = await withTransaction(pool, 'running migrations', (client) =>
        applyNext(client, { schema, tablePrefix, names }),
      )
      if (next === undefined) return applied
      applied.push(next)
    }
  } finally {
    if (typeof target === 'string') await pool.end()
  }
}

interface Target {
  schema: string
  tablePrefix: string
  names: TableNames
}

/** Inside one transaction: wait for the lock, then apply the first pending migration, if any. */
async function applyNext(client: PoolClient, target: Target): Promise<AppliedMigration | undefined> {
  const { schema, tablePrefix, names } = target
  // Released by COMMIT or ROLLBACK. A hash collision with another key only makes two
  // unrelated callers wait for each other, never skip a migration.
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`taskcast:migrate:${schema}.${tablePrefix}`])
  await ensureMigrationsTable(client, schema, names)
  const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${names.migrations}`)
  const done = new Set(rows.map((row) => row.version))
  const pending: Migration | undefined = MIGRATIONS.find((migration) => !done.has(migration.version))
  if (pending === undefined) return undefined
  await client.query(renderMigration(pending, schema, tablePrefix))
  await client.query(`INSERT INTO ${names.migrations} (version, name) VALUES ($1, $2)`, [pending.version, pending.name])
  return { version: pending.version, name: pending.name }
}

/**
 * Creates only what is missing, checking first, so a role without CREATE privilege can
 * still run an up-to-date schema's (empty) migration.
 */
async function ensureMigrationsTable(client: PoolClient, schema: string, names: TableNames): Promise<void> {
  const { rows } = await client.query<{ schema_exists: boolean; table_exists: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema_exists,
            to_regclass($2) IS NOT NULL AS table_exists`,
    [schema, names.migrations],
  )
  const state = rows[0]
  if (state?.table_exists) return
  if (!state?.schema_exists) await client.query(`CREATE SCHEMA ${names.schema}`)
  await client.query(
    `CREATE TABLE ${names.migrations} (
       version    integer PRIMARY KEY,
       name       text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  )
}
