// Turns what SQLite and better-sqlite3 report into TaskcastErrors, in one place, by SQLite's
// result codes (never by message text).
import { TaskcastError } from '@taskcast/core'

/** SQLite's primary result code of an error (`SQLITE_BUSY` for `SQLITE_BUSY_SNAPSHOT`), if it has one. */
export function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined
  return code.split('_', 2).join('_')
}

/**
 * Codes with which SQLite says "not now" or "not here" rather than "wrong": another process
 * holds the write lock past the busy timeout, the disk is full or failing, the file went
 * read-only or away. The request may succeed once that is fixed, so: `STORE_UNAVAILABLE` (503).
 */
const UNAVAILABLE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL'])

/** A damaged file: no retry helps. */
const DAMAGED_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB'])

/**
 * Classifies a failed call: TaskcastErrors (the store's own verdicts) pass through; SQLite's
 * transient and environmental failures become `STORE_UNAVAILABLE`, a damaged file a
 * non-retryable `STORE_UNAVAILABLE`, and anything else (a constraint, a misuse) `INTERNAL`.
 */
export function toTaskcastError(error: unknown): TaskcastError {
  if (TaskcastError.isInstance(error)) return error
  const code = sqliteCode(error)
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) {
    return new TaskcastError('STORE_UNAVAILABLE', `SQLite is unavailable (${code})`, { cause: error })
  }
  if (code !== undefined && DAMAGED_CODES.has(code)) {
    return new TaskcastError('STORE_UNAVAILABLE', `the SQLite database is damaged (${code})`, { cause: error, retryable: false })
  }
  return new TaskcastError('INTERNAL', `SQLite failed${code === undefined ? '' : ` (${code})`}`, { cause: error })
}

/**
 * The file at `path` cannot be used: one line naming it and the problem, a `VALIDATION_ERROR`
 * with `details.field` `path` (the CLI names the config key it came from).
 */
export function databaseFileError(path: string, problem: string, cause?: unknown): TaskcastError {
  return new TaskcastError('VALIDATION_ERROR', `cannot use ${path} as a Taskcast SQLite database: ${problem}`, {
    details: { field: 'path' },
    ...(cause !== undefined && { cause }),
  })
}

/** The one error of a call on a closed store. */
export function storeClosed(): TaskcastError {
  return new TaskcastError('STORE_UNAVAILABLE', 'the SQLite store is closed', { retryable: false })
}
