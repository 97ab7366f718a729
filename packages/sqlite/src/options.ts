// Options of the SQLite stores and the single place where their defaults are applied.
import { TaskcastError } from '@taskcast/core'

/** How hard a commit waits for the disk (SQLite's `PRAGMA synchronous`, in WAL mode). */
export const SYNCHRONOUS_LEVELS = ['normal', 'full'] as const
export type SqliteSynchronous = (typeof SYNCHRONOUS_LEVELS)[number]

export const DEFAULT_SYNCHRONOUS: SqliteSynchronous = 'normal'
export const DEFAULT_BUSY_TIMEOUT_MS = 5000

/** The database file of a store. */
export interface SqliteDatabaseOptions {
  /**
   * The database file, relative to the working directory; created (with its WAL files beside
   * it) when missing, in a directory that must exist. A file of another program, a damaged
   * file or a read-only one is refused and left untouched.
   */
  path: string
  /**
   * `normal`: a commit is written to the WAL file before the call resolves, so an acknowledged
   * write survives a crash or `kill -9` of the process. `full`: also synced to the disk, so it
   * survives a power loss too, at the cost of one fsync per write.
   * @defaultValue 'normal'
   */
  synchronous?: SqliteSynchronous
  /**
   * How long a write waits while another connection (another process on the same file) holds
   * the write lock, before it fails with `STORE_UNAVAILABLE`.
   * @defaultValue 5000
   */
  busyTimeoutMs?: number
}

export type SqliteShortTermStoreOptions = SqliteDatabaseOptions
export type SqliteLongTermStoreOptions = SqliteDatabaseOptions

export type ResolvedDatabaseOptions = Required<SqliteDatabaseOptions>

function invalid(field: string, problem: string): never {
  throw new TaskcastError('VALIDATION_ERROR', `${field} ${problem}`, { details: { field } })
}

/** @throws TaskcastError `VALIDATION_ERROR` with `details.field` naming the option. */
export function resolveDatabaseOptions(options: SqliteDatabaseOptions): ResolvedDatabaseOptions {
  const { path, synchronous = DEFAULT_SYNCHRONOUS, busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS } = options ?? ({} as SqliteDatabaseOptions)
  if (typeof path !== 'string' || path.trim() === '') invalid('path', 'must be the path of a database file')
  if (!SYNCHRONOUS_LEVELS.includes(synchronous)) invalid('synchronous', `must be one of ${SYNCHRONOUS_LEVELS.join(', ')}`)
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) invalid('busyTimeoutMs', 'must be an integer ≥ 0')
  return { path, synchronous, busyTimeoutMs }
}
