// The task list (SPEC §21) over a task table of migration 0002: keyset pages along its
// (created_at, id) and (status, created_at, id) indexes, newest first (oldest first with
// `oldestFirst`), never examining more than TASK_LIST_SCAN_LIMIT rows for one page.
import type { Task, TaskIndexPage, TaskIndexQuery, TaskStatus } from '@taskcast/core'
import {
  createdAtOfKey,
  matchesTaskQuery,
  taskIdOfKey,
  taskIndexKey,
  taskIndexRange,
  TASK_LIST_SCAN_LIMIT,
  type KeyBound,
} from '@taskcast/core/internal'
import type { SqliteDatabase } from './open-database.js'

/** One row as the listing reads it; `createdAt` is the indexed (whole, non-negative) value. */
export interface IndexedTaskRow {
  id: string
  createdAt: number
  task: string
  expiresAt: number | null
}

/**
 * A round of reading: rows strictly past `from` and strictly before `to`, as (createdAt, id),
 * in the walk's direction.
 */
interface RoundParams {
  fromAt: number
  fromId: string
  toAt: number
  toId: string
  count: number
}

/** A place in the (created_at, id) order. */
interface Position {
  createdAt: number
  id: string
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
/** Below and above every row. */
const BOTTOM: Position = { createdAt: Number.NEGATIVE_INFINITY, id: '' }
const TOP: Position = { createdAt: Number.POSITIVE_INFINITY, id: '' }

/**
 * Where a bound of `taskIndexRange` lies among rows. Strictly past it is exact either way: a
 * bound is the cursor (a row's whole key, never inclusive) or a bare createdAt prefix (id ''),
 * which no row's key equals.
 */
function positionOf(bound: KeyBound | undefined, otherwise: Position): Position {
  return bound === undefined ? otherwise : { createdAt: createdAtOfKey(bound.key), id: taskIdOfKey(bound.key) }
}

/**
 * Ids compare as in JavaScript: the column's BINARY collation orders UTF-8 bytes, which
 * agrees with UTF-16 code units except between astral and U+E000–U+FFFF characters, and the
 * engine's task ids are ASCII.
 */
function oldestFirst(a: IndexedTaskRow, b: IndexedTaskRow): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** The statements of one direction: a range of the (created_at, id) index, or of (status, created_at, id). */
function prepareRounds(db: SqliteDatabase, select: string, ascending: boolean) {
  const round = ascending
    ? '(created_at, id) > (@fromAt, @fromId) AND (created_at, id) < (@toAt, @toId) ORDER BY created_at ASC, id ASC LIMIT @count'
    : '(created_at, id) < (@fromAt, @fromId) AND (created_at, id) > (@toAt, @toId) ORDER BY created_at DESC, id DESC LIMIT @count'
  return {
    any: db.prepare<RoundParams, IndexedTaskRow>(`${select} WHERE ${round}`),
    inStatus: db.prepare<RoundParams & { status: TaskStatus }, IndexedTaskRow>(`${select} WHERE status = @status AND ${round}`),
    order: ascending ? oldestFirst : (a: IndexedTaskRow, b: IndexedTaskRow) => oldestFirst(b, a),
  }
}

/** Both directions' statements. */
function prepareWalks(db: SqliteDatabase, { table, expiryColumn }: SqliteTaskIndexOptions) {
  const select = `SELECT id, created_at AS createdAt, task, ${expiryColumn ?? 'NULL'} AS expiresAt FROM ${table}`
  return { down: prepareRounds(db, select, false), up: prepareRounds(db, select, true) }
}

type Rounds = ReturnType<typeof prepareRounds>

export class SqliteTaskIndex {
  private readonly sql: ReturnType<typeof prepareWalks>
  private readonly snapshot: (query: TaskIndexQuery) => TaskIndexPage
  private readonly isGone: ((row: IndexedTaskRow) => boolean) | undefined

  constructor(db: SqliteDatabase, options: SqliteTaskIndexOptions) {
    this.sql = prepareWalks(db, options)
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
    const { lower, upper } = taskIndexRange(query)
    const ascending = query.oldestFirst === true
    const rounds = ascending ? this.sql.up : this.sql.down
    let from = ascending ? positionOf(lower, BOTTOM) : positionOf(upper, TOP)
    const to = ascending ? positionOf(upper, TOP) : positionOf(lower, BOTTOM)
    const statuses = query.statuses && [...new Set(query.statuses)]
    const tasks: Task[] = []
    for (let examined = 0; ; ) {
      // Without a type filter nearly every row read is listed: a round reads what the page lacks.
      const count = Math.min(TASK_LIST_SCAN_LIMIT - examined, query.types ? TYPED_ROUND : query.limit - tasks.length)
      const rows = this.rowsPast(rounds, statuses, { fromAt: from.createdAt, fromId: from.id, toAt: to.createdAt, toId: to.id, count })
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
      from = { createdAt: last.createdAt, id: last.id }
    }
  }

  /**
   * The first `count` rows of the round, in any of `statuses`. Each status is one range of
   * its index; the first `count` of all of them are among the first `count` of each.
   */
  private rowsPast(rounds: Rounds, statuses: readonly TaskStatus[] | undefined, params: RoundParams): IndexedTaskRow[] {
    if (statuses === undefined) return rounds.any.all(params)
    const rows = statuses.flatMap((status) => rounds.inStatus.all({ ...params, status }))
    return statuses.length === 1 ? rows : rows.sort(rounds.order).slice(0, params.count)
  }
}
