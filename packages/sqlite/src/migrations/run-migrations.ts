// Applies pending migrations, one IMMEDIATE transaction each: processes that open one file at
// the same moment wait for each other's write lock, and each migration is applied once.
import type { Database } from 'better-sqlite3'
import { MIGRATIONS } from './all.js'

/** The table recording which migrations a database has. */
export const MIGRATIONS_TABLE = 'taskcast_migrations'

/** `PRAGMA application_id` of a Taskcast database ("TKCS"), so another program's file is told apart. */
export const APPLICATION_ID = 0x544b4353

export interface AppliedMigration {
  version: number
  name: string
}

/**
 * Brings the database's schema up to date: marks it as a Taskcast database, creates the
 * migrations table when missing, then applies every migration not recorded there. Running it
 * again is a no-op.
 * @returns the migrations this call applied, in order; `[]` when the schema was up to date.
 */
export function runMigrations(db: Database): AppliedMigration[] {
  const applyNext = db.transaction((): AppliedMigration | undefined => {
    db.pragma(`application_id = ${APPLICATION_ID}`)
    db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`)
    const done = new Set(db.prepare(`SELECT version FROM ${MIGRATIONS_TABLE}`).pluck().all() as number[])
    const pending = MIGRATIONS.find((migration) => !done.has(migration.version))
    if (pending === undefined) return undefined
    db.exec(pending.sql)
    db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`).run(pending.version, pending.name, Date.now())
    return { version: pending.version, name: pending.name }
  })
  const applied: AppliedMigration[] = []
  for (let next = applyNext.immediate(); next !== undefined; next = applyNext.immediate()) applied.push(next)
  return applied
}

/** The newest migration version this package knows. */
export const LATEST_VERSION = Math.max(...MIGRATIONS.map((migration) => migration.version))
