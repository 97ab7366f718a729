// The task list (SPEC §21) over a task table of migration 0002: keyset pages down its
// (created_at, id) and (status, created_at, id) indexes, newest first, never examining more
// than TASK_LIST_SCAN_LIMIT rows for one page.
import type { Task, TaskIndexPage, TaskIndexQuery, TaskStatus } from '@taskcast/core'
import {
  createdAtOfKey,
  matchesTaskQuery,
  taskIdOfKey,
  taskIndexBounds,
  taskIndexKey,
  TASK_LIST_SCAN_LIMIT,
} from '@taskcast/core/internal'
import type { SqliteDatabase } from './open-database.js'

/** One row as the listing reads it; `createdAt` is the indexed (whole, non-negative) value. */
export interface IndexedTaskRow {
  id: string
  createdAt: number
  task: string
  expiresAt: number | null
}

/** Where a round of reading resumes: rows strictly below (createdAt, id), at or above `floor`. */
interface RoundParams {
  createdAt: number
  id: string
  floor: number
  count: number
}

export interface SqliteTaskIndexOptions {
  /** `tasks` or `archive_tasks`. */
  table: string
  /** The column of the ms deadline after which a row counts as gone; none in the archive. */
  expiryColumn?: string
  /** Whether a row read is gone though still stored (its expiry passed before the sweep). */
  isGone?: (row: IndexedTaskRow) => boolean
}

/** Rows read per round when a type filter may reject most of them. */
const TYPED_ROUND = 500
/** Above every row: where the first page starts. */
const TOP = { createdAt: Number.POSITIVE_INFINITY, id: '' }

/**
 * Ids compare as in JavaScript: the column's BINARY collation orders UTF-8 bytes, which
 * agrees with UTF-16 code units except between astral and U+E000–U+FFFF characters, and the
 * engine's task ids are ASCII.
 */
function newestFirst(a: IndexedTaskRow, b: IndexedTaskRow): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

/** A round of reading: one range of the (created_at, id) index, or of (status, created_at, id). */
function prepareRounds(db: SqliteDatabase, { table, expiryColumn }: SqliteTaskIndexOptions) {
  const select = `SELECT id, created_at AS createdAt, task, ${expiryColumn ?? 'NULL'} AS expiresAt FROM ${table}`
  const round = '(created_at, id) < (@createdAt, @id) AND created_at >= @floor ORDER BY created_at DESC, id DESC LIMIT @count'
  return {
    any: db.prepare<RoundParams, IndexedTaskRow>(`${select} WHERE ${round}`),
    inStatus: db.prepare<RoundParams & { status: TaskStatus }, IndexedTaskRow>(`${select} WHERE status = @status AND ${round}`),
  }
}

export class SqliteTaskIndex {
  private readonly sql: ReturnType<typeof prepareRounds>
  private readonly snapshot: (query: TaskIndexQuery) => TaskIndexPage
  private readonly isGone: ((row: IndexedTaskRow) => boolean) | undefined

  constructor(db: SqliteDatabase, options: SqliteTaskIndexOptions) {
    this.sql = prepareRounds(db, options)
    this.isGone = options.isGone
    // One read transaction: every round, and every status of a round, sees the same snapshot,
    // so a task moving between two statuses meanwhile is read once.
    this.snapshot = db.transaction((query: TaskIndexQuery) => this.walk(query))
  }

  /** One page of `query`; synchronous, and throws what SQLite throws. */
  list(query: TaskIndexQuery): TaskIndexPage {
    return this.snapshot(query)
  }

  private walk(query: TaskIndexQuery): TaskIndexPage {
    const { below, atLeast } = taskIndexBounds(query)
    let cursor = below === undefined ? TOP : { createdAt: createdAtOfKey(below), id: taskIdOfKey(below) }
    const floor = atLeast === undefined ? 0 : createdAtOfKey(atLeast)
    const statuses = query.statuses && [...new Set(query.statuses)]
    const tasks: Task[] = []
    for (let examined = 0; ; ) {
      // Without a type filter nearly every row read is listed: a round reads what the page lacks.
      const count = Math.min(TASK_LIST_SCAN_LIMIT - examined, query.types ? TYPED_ROUND : query.limit - tasks.length)
      const rows = this.rowsBelow(statuses, { ...cursor, floor, count })
      for (const row of rows) {
        examined++
        if (!this.isGone?.(row)) {
          const task = JSON.parse(row.task) as Task
          if (matchesTaskQuery(task, query)) tasks.push(task)
        }
        if (tasks.length === query.limit || examined === TASK_LIST_SCAN_LIMIT) return { tasks, next: taskIndexKey(row) }
      }
      const last = rows.at(-1)
      if (last === undefined || rows.length < count) return { tasks, next: null }
      cursor = { createdAt: last.createdAt, id: last.id }
    }
  }

  /**
   * The `count` newest rows of the round, in any of `statuses`. Each status is one range of
   * its index; the newest `count` of all of them are among the newest `count` of each.
   */
  private rowsBelow(statuses: readonly TaskStatus[] | undefined, params: RoundParams): IndexedTaskRow[] {
    if (statuses === undefined) return this.sql.any.all(params)
    const rows = statuses.flatMap((status) => this.sql.inStatus.all({ ...params, status }))
    return statuses.length === 1 ? rows : rows.sort(newestFirst).slice(0, params.count)
  }
}
