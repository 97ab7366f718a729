// Opens a database file for a store. Before anything writes to the file it checks that the file
// is a Taskcast database (or a new one), undamaged and writable; a file that is not is left
// untouched, and the error is one line naming it. Then: WAL, the sync level, the migrations.
import { accessSync, constants, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { TaskcastError } from '@taskcast/core'
import { databaseFileError, sqliteCode } from './errors.js'
import { APPLICATION_ID, LATEST_VERSION, MIGRATIONS_TABLE, runMigrations } from './migrations/run-migrations.js'
import type { ResolvedDatabaseOptions } from './options.js'

const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024

/** An open connection, set up and migrated. */
export type SqliteDatabase = Database.Database

export function openDatabase({ path, synchronous, busyTimeoutMs }: ResolvedDatabaseOptions): SqliteDatabase {
  checkPath(path)
  let db: SqliteDatabase
  try {
    db = new Database(path, { timeout: busyTimeoutMs })
  } catch (error) {
    throw openError(path, error)
  }
  try {
    inspect(db, path)
    checkWritable(path)
    // The first write to the file: from here on it is a Taskcast database.
    const mode = db.pragma('journal_mode = WAL', { simple: true })
    if (mode !== 'wal') throw databaseFileError(path, `SQLite cannot keep it in WAL mode (journal mode ${String(mode)})`)
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    // SQLite checkpoints by itself (every 1,000 pages of WAL); the WAL file, reused from its
    // start once checkpointed, is cut back to this size when a burst grew it past that.
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`)
    runMigrations(db)
    return db
  } catch (error) {
    db.close()
    throw openError(path, error)
  }
}

/** What the file system can tell before SQLite touches anything. */
function checkPath(path: string): void {
  const info = statSync(path, { throwIfNoEntry: false })
  if (info?.isDirectory()) throw databaseFileError(path, 'it is a directory (give a file path, e.g. ./taskcast.db)')
  if (info === undefined) {
    const parent = statSync(dirname(path), { throwIfNoEntry: false })
    if (!parent?.isDirectory()) throw databaseFileError(path, `the directory ${dirname(path)} does not exist`)
  }
}

/** Read-only queries: is it a SQLite file, is it ours (or empty), is its schema one we know, is it intact. */
function inspect(db: SqliteDatabase, path: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[]
  if ((tables.length > 0 || applicationId !== 0) && applicationId !== APPLICATION_ID) {
    const shown = tables.slice(0, 3).join(', ') + (tables.length > 3 ? ', …' : '')
    throw databaseFileError(path, `it is another program's SQLite database${shown ? ` (tables ${shown})` : ''}; it was left untouched`)
  }
  if (tables.includes(MIGRATIONS_TABLE)) {
    const version = db.prepare(`SELECT max(version) FROM ${MIGRATIONS_TABLE}`).pluck().get() as number | null
    if (version !== null && version > LATEST_VERSION) {
      throw databaseFileError(path, `its schema version ${version} is newer than this @taskcast/sqlite knows (${LATEST_VERSION}): upgrade Taskcast`)
    }
  }
  // Linear in the file's size: a damaged page is found before the server starts rather than by a request.
  const check = String(db.pragma('quick_check', { simple: true }))
  if (check !== 'ok') {
    // One line: the first problem SQLite names, and how many more.
    const problems = check.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('***'))
    const more = problems.length > 1 ? `, and ${problems.length - 1} more` : ''
    throw databaseFileError(path, `it is damaged (SQLite's quick_check: ${problems[0] ?? check}${more})`)
  }
}

/**
 * SQLite opens a file it may not write read-only without a word, and WAL mode keeps two more
 * files beside it: both must be writable, or the first write would fail instead of the start.
 */
function checkWritable(path: string): void {
  const exists = statSync(path, { throwIfNoEntry: false }) !== undefined
  if (exists && !writable(path)) throw databaseFileError(path, 'the file is read-only')
  if (!writable(dirname(path))) throw databaseFileError(path, `its directory ${dirname(path)} is not writable (WAL mode keeps two files beside the database)`)
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK)
    return true
  } catch {
    return false
  }
}

/** A failure while opening, as one line about the file. */
function openError(path: string, error: unknown): TaskcastError {
  if (TaskcastError.isInstance(error)) return error
  const code = sqliteCode(error)
  switch (code) {
    case 'SQLITE_NOTADB':
      return databaseFileError(path, 'it is not a SQLite database; it was left untouched', error)
    case 'SQLITE_CORRUPT':
      return databaseFileError(path, 'it is damaged (SQLITE_CORRUPT); it was left untouched', error)
    case 'SQLITE_READONLY':
      return databaseFileError(path, 'the file is read-only', error)
    case 'SQLITE_CANTOPEN':
      return databaseFileError(path, 'SQLite cannot open it (SQLITE_CANTOPEN)', error)
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new TaskcastError('STORE_UNAVAILABLE', `cannot open ${path}: another process holds it locked (${code})`, { cause: error })
    default:
      return databaseFileError(path, `SQLite failed (${code ?? (error instanceof Error ? error.message : String(error))})`, error)
  }
}
