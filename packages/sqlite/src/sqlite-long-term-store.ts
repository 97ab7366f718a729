// SqliteLongTermStore: core's LongTermStore on a SQLite file (SPEC §6, §20), with compacted series rows.
import {
  isTerminalStatus,
  TASK_STATUSES,
  type EventRange,
  type LongTermStore,
  type Task,
  type TaskEvent,
  type TaskIndexPage,
  type TaskIndexQuery,
} from '@taskcast/core'
import { archivedPlainEvent, archivedSeriesEvents, isCompactedSeries, mergeArchivedSeries, type ArchivedSeries } from '@taskcast/core/internal'
import { decodeArchivedSeries, encodeArchivedSeries, type ArchivedSeriesColumns } from './archive-series-codec.js'
import { storeClosed, toTaskcastError } from './errors.js'
import { openDatabase, type SqliteDatabase } from './open-database.js'
import { resolveDatabaseOptions, type SqliteLongTermStoreOptions } from './options.js'
import { SqliteTaskIndex } from './sqlite-task-index.js'

const TERMINAL_STATUSES = JSON.stringify(TASK_STATUSES.filter(isTerminalStatus))
const LAST_INDEX = Number.MAX_SAFE_INTEGER

function prepareArchiveStatements(db: SqliteDatabase) {
  return {
    // A terminal snapshot is never replaced by a non-terminal one (snapshots arrive in any order).
    saveTask: db.prepare<[string, string, string, string, string]>(
      `INSERT INTO archive_tasks (id, status, task) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, task = excluded.task
       WHERE NOT (archive_tasks.status IN (SELECT value FROM json_each(?)) AND excluded.status NOT IN (SELECT value FROM json_each(?)))`,
    ),
    task: db.prepare<[string], string>('SELECT task FROM archive_tasks WHERE id = ?').pluck(),
    savePlain: db.prepare<[string, string, number, string]>('INSERT OR REPLACE INTO archive_events (task_id, id, idx, event) VALUES (?, ?, ?, ?)'),
    plainInRange: db
      .prepare<[string, number, number], string>('SELECT event FROM archive_events WHERE task_id = ? AND idx >= ? AND idx <= ? ORDER BY idx')
      .pluck(),
    series: db.prepare<[string, string], ArchivedSeriesColumns>('SELECT row, skeleton FROM archive_series WHERE task_id = ? AND series_key = ?'),
    allSeries: db.prepare<[string], ArchivedSeriesColumns>('SELECT row, skeleton FROM archive_series WHERE task_id = ?'),
    saveSeries: db.prepare<[string, string, string, string]>('INSERT OR REPLACE INTO archive_series (task_id, series_key, row, skeleton) VALUES (?, ?, ?, ?)'),
    deleteTask: db.prepare<[string]>('DELETE FROM archive_tasks WHERE id = ?'),
    deletePlain: db.prepare<[string]>('DELETE FROM archive_events WHERE task_id = ?'),
    deleteSeries: db.prepare<[string]>('DELETE FROM archive_series WHERE task_id = ?'),
    deletePlainById: db.prepare<[string, string]>('DELETE FROM archive_events WHERE task_id = ? AND id IN (SELECT value FROM json_each(?))'),
    ping: db.prepare('SELECT 1'),
    deleteSeriesByRowId: db.prepare<[string, string]>(
      "DELETE FROM archive_series WHERE task_id = ? AND json_extract(row, '$.id') IN (SELECT value FROM json_each(?))",
    ),
  }
}

/**
 * The long-term archive in a SQLite file: the file of the short-term store or another one (the
 * tables are apart). Writes are idempotent and commutative, as the contract asks: plain events
 * are upserted by id; an accumulate or latest series keeps one row (its newest event) and the
 * places of its other events, which reads return as placeholders.
 *
 * @example
 * ```ts
 * const archive = new SqliteLongTermStore({ path: './archive.db' })
 * const engine = new TaskEngine({ broadcast, shortTermStore, longTermStore: archive })
 * ```
 */
export class SqliteLongTermStore implements LongTermStore {
  /** The file as given. */
  readonly path: string
  private readonly db: SqliteDatabase
  private readonly sql: ReturnType<typeof prepareArchiveStatements>
  private readonly transaction: <T>(work: () => T) => T
  private readonly taskIndex: SqliteTaskIndex

  /**
   * Opens (or creates) the file and brings its schema up to date.
   * @throws TaskcastError `VALIDATION_ERROR` (`details.field` `path`) for a file that cannot be used.
   */
  constructor(options: SqliteLongTermStoreOptions) {
    const resolved = resolveDatabaseOptions(options)
    this.path = resolved.path
    this.db = openDatabase(resolved)
    this.sql = prepareArchiveStatements(this.db)
    const immediate = this.db.transaction((work: () => unknown) => work())
    this.transaction = <T>(work: () => T) => immediate.immediate(work) as T
    this.taskIndex = new SqliteTaskIndex(this.db, { table: 'archive_tasks' })
  }

  async saveTask(task: Task): Promise<void> {
    await this.run(() => this.sql.saveTask.run(task.id, task.status, JSON.stringify(task), TERMINAL_STATUSES, TERMINAL_STATUSES), true)
  }

  /** One transaction per call; each series row is read and written once per call. */
  async saveEvents(events: TaskEvent[]): Promise<void> {
    if (events.length === 0) return
    await this.run(() => {
      const touched = new Map<string, { taskId: string; key: string; series: ArchivedSeries }>()
      for (const event of events) {
        if (!isCompactedSeries(event)) {
          this.sql.savePlain.run(event.taskId, event.id, event.index, JSON.stringify(archivedPlainEvent(event)))
          continue
        }
        const key = JSON.stringify(event.seriesId)
        const at = JSON.stringify([event.taskId, key])
        const current = touched.get(at)?.series ?? this.storedSeries(event.taskId, key)
        touched.set(at, { taskId: event.taskId, key, series: mergeArchivedSeries(current, event) })
      }
      for (const { taskId, key, series } of touched.values()) {
        const { row, skeleton } = encodeArchivedSeries(series)
        this.sql.saveSeries.run(taskId, key, row, skeleton)
      }
    }, true)
  }

  async getTask(taskId: string): Promise<Task | null> {
    return this.run(() => {
      const task = this.sql.task.get(taskId)
      return task === undefined ? null : (JSON.parse(task) as Task)
    })
  }

  async getEvents(taskId: string, range: EventRange = {}): Promise<TaskEvent[]> {
    return this.run(() => {
      const from = range.fromIndex ?? 0
      const to = range.toIndex ?? LAST_INDEX
      const events = this.sql.plainInRange.all(taskId, from, to).map((json) => JSON.parse(json) as TaskEvent)
      const within = (index: number) => index >= from && index <= to
      for (const columns of this.sql.allSeries.all(taskId)) events.push(...archivedSeriesEvents(decodeArchivedSeries(columns), within))
      return events.sort((a, b) => a.index - b.index)
    })
  }

  async deleteTask(taskId: string): Promise<boolean> {
    return this.run(() => {
      const removed = [this.sql.deleteTask, this.sql.deletePlain, this.sql.deleteSeries].map((statement) => statement.run(taskId).changes)
      return removed.some((changes) => changes > 0)
    }, true)
  }

  /** A series row is one row, and its placeholders go with it; placeholder ids select nothing. */
  async deleteEvents(taskId: string, eventIds?: string[]): Promise<number> {
    if (eventIds !== undefined && eventIds.length === 0) return 0
    return this.run(() => {
      if (eventIds === undefined) return this.sql.deletePlain.run(taskId).changes + this.sql.deleteSeries.run(taskId).changes
      const ids = JSON.stringify(eventIds)
      return this.sql.deletePlainById.run(taskId, ids).changes + this.sql.deleteSeriesByRowId.run(taskId, ids).changes
    }, true)
  }

  /** One page of the archived tasks (SPEC §21) from the indexes of migration 0002. */
  async listTasks(query: TaskIndexQuery): Promise<TaskIndexPage> {
    return this.run(() => this.taskIndex.list(query))
  }

  async ping(): Promise<void> {
    await this.run(() => this.sql.ping.get())
  }

  /** Closes the connection. Safe to call twice. */
  async close(): Promise<void> {
    // The last connection to close checkpoints the WAL and removes it.
    if (this.db.open) this.db.close()
  }

  private storedSeries(taskId: string, key: string): ArchivedSeries | undefined {
    const columns = this.sql.series.get(taskId, key)
    return columns === undefined ? undefined : decodeArchivedSeries(columns)
  }

  /** Runs `work`, in one IMMEDIATE transaction when it writes; failures become TaskcastErrors. */
  private run<T>(work: () => T, writes = false): Promise<T> {
    if (!this.db.open) return Promise.reject(storeClosed())
    try {
      return Promise.resolve(writes ? this.transaction(work) : work())
    } catch (error) {
      return Promise.reject(toTaskcastError(error))
    }
  }
}
