// PostgresLongTermStore: core's LongTermStore on PostgreSQL (SPEC §6), with compacted series rows.
import { isTerminalStatus, TASK_STATUSES, TaskcastError } from '@taskcast/core'
import type { EventRange, LongTermStore, Task, TaskEvent, TaskIndexPage, TaskIndexQuery } from '@taskcast/core'
import type { Pool } from 'pg'
import { withClient, withTransaction } from './connection.js'
import { upsertEventsStatements, type Run } from './event-rows.js'
import { runMigrations, type AppliedMigration } from './migrations/run-migrations.js'
import { resolveOptions, type PostgresLongTermStoreOptions, type ResolvedOptions } from './options.js'
import { taskIndexPage, taskIndexStatement, type TaskIndexRow } from './task-index-query.js'
import { fromTextColumn, toTextColumn } from './text-column.js'

const TERMINAL_STATUSES = TASK_STATUSES.filter(isTerminalStatus)

/** One row as `getEvents` reads it. */
interface EventRow {
  event: Omit<TaskEvent, 'data' | 'superseded'>
  /** The data's JSON text, or null when the event has none (or it was replaced). */
  data: string | null
  superseded: boolean
  collapsed: Run[] | null
}

/**
 * The long-term archive on PostgreSQL.
 *
 * Writes are idempotent upserts: resending a batch changes nothing, and batches may arrive in
 * any order. Accumulate and latest series keep one row each, moved forward in place to the
 * series' newest event (for accumulate, holding the running value); the row also keeps the
 * places of the series' other events (runs of indexes with their type and level), which
 * reads return as placeholders, so that `filteredIndex` counts them as it did live.
 *
 * @example
 * ```ts
 * const store = new PostgresLongTermStore({ url: process.env.DATABASE_URL!, autoMigrate: true })
 * const engine = new TaskEngine({ broadcast, shortTermStore, longTermStore: store })
 * ```
 */
export class PostgresLongTermStore implements LongTermStore {
  private readonly options: ResolvedOptions
  private migrated: Promise<void> | undefined
  private closing: Promise<void> | undefined

  constructor(options: PostgresLongTermStoreOptions) {
    this.options = resolveOptions(options)
  }

  /** The pool in use (the given one, or the one created from `url`). */
  get pool(): Pool {
    return this.options.pool
  }

  /** Applies pending migrations now; see `runMigrations`. */
  migrate(): Promise<AppliedMigration[]> {
    const { pool, schema, tablePrefix } = this.options
    return runMigrations(pool, { schema, tablePrefix })
  }

  /** Inserts or replaces the task; a stored terminal task is never replaced by a non-terminal snapshot. */
  async saveTask(task: Task): Promise<void> {
    const { pool, names } = await this.ready()
    await withClient(pool, 'saving a task', (client) =>
      client.query(
        `INSERT INTO ${names.tasks} AS t (id, type, status, created_at, updated_at, task)
         VALUES ($1, $2, $3, $4, $5, $6::json)
         ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, status = EXCLUDED.status,
           created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, task = EXCLUDED.task
         WHERE NOT (t.status = ANY($7::text[]) AND NOT EXCLUDED.status = ANY($7::text[]))`,
        [
          task.id,
          task.type === undefined ? null : toTextColumn(task.type),
          task.status,
          task.createdAt,
          task.updatedAt,
          JSON.stringify(task),
          TERMINAL_STATUSES,
        ],
      ),
    )
  }

  /**
   * One multi-row upsert per call (per 500 rows, in one transaction when several statements
   * are needed).
   */
  async saveEvents(events: TaskEvent[]): Promise<void> {
    if (events.length === 0) return
    const { pool, names } = await this.ready()
    const statements = upsertEventsStatements(names, events)
    const [only] = statements
    if (statements.length === 1 && only !== undefined) {
      await withClient(pool, 'saving events', (client) => client.query(only))
      return
    }
    await withTransaction(pool, 'saving events', async (client) => {
      for (const statement of statements) await client.query(statement)
    })
  }

  async getTask(taskId: string): Promise<Task | null> {
    const { pool, names } = await this.ready()
    const { rows } = await withClient(pool, 'reading a task', (client) =>
      client.query<{ task: Task }>(`SELECT task FROM ${names.tasks} WHERE id = $1`, [taskId]),
    )
    return rows[0]?.task ?? null
  }

  /**
   * Events in index order, placeholders included; `range` bounds are inclusive. Compacted
   * series rows are read whatever their index: the places they keep may lie in the range.
   */
  async getEvents(taskId: string, range: EventRange = {}): Promise<TaskEvent[]> {
    const { pool, names } = await this.ready()
    const from = range.fromIndex ?? 0
    const to = range.toIndex ?? Number.POSITIVE_INFINITY
    const values: unknown[] = [taskId]
    let within = 'TRUE'
    if (range.fromIndex !== undefined) {
      values.push(range.fromIndex)
      within += ` AND idx >= $${values.length}`
    }
    if (range.toIndex !== undefined) {
      values.push(range.toIndex)
      within += ` AND idx <= $${values.length}`
    }
    const { rows } = await withClient(pool, 'reading events', (client) =>
      client.query<EventRow>(
        `SELECT event, data::text AS data, superseded, collapsed FROM ${names.events}
         WHERE task_id = $1 AND ((${within}) OR collapsed IS NOT NULL)`,
        values,
      ),
    )
    const events: TaskEvent[] = []
    for (const row of rows) {
      const event: TaskEvent = { ...row.event } as TaskEvent
      // An absent data value is SQL NULL and stays absent; JSON null comes back as null.
      if (row.superseded) Object.assign(event, { data: null, superseded: true })
      else if (row.data !== null) event.data = JSON.parse(row.data)
      if (event.index >= from && event.index <= to) events.push(event)
      for (const [first, last, type, level] of row.collapsed ?? []) {
        for (let index = Math.max(first, from); index <= Math.min(last, to); index++) {
          events.push({ ...row.event, id: `${taskId}:${index}`, index, type: fromTextColumn(type), level, data: null, superseded: true })
        }
      }
    }
    return events.sort((a, b) => a.index - b.index)
  }

  /** Deletes the task and all its events at once. Resolves whether anything was stored for it. */
  async deleteTask(taskId: string): Promise<boolean> {
    const { pool, names } = await this.ready()
    const { rows } = await withClient(pool, 'deleting a task', (client) =>
      client.query<{ deleted: boolean }>(
        `WITH deleted_events AS (DELETE FROM ${names.events} WHERE task_id = $1 RETURNING 1),
              deleted_task AS (DELETE FROM ${names.tasks} WHERE id = $1 RETURNING 1)
         SELECT EXISTS (SELECT 1 FROM deleted_task) OR EXISTS (SELECT 1 FROM deleted_events) AS deleted`,
        [taskId],
      ),
    )
    return rows[0]?.deleted === true
  }

  /** Deletes the given events of the task (all of them without `eventIds`); resolves how many rows went. */
  async deleteEvents(taskId: string, eventIds?: string[]): Promise<number> {
    if (eventIds?.length === 0) return 0
    const { pool, names } = await this.ready()
    const result = await withClient(pool, 'deleting events', (client) =>
      eventIds === undefined
        ? client.query(`DELETE FROM ${names.events} WHERE task_id = $1`, [taskId])
        : client.query(`DELETE FROM ${names.events} WHERE task_id = $1 AND id = ANY($2::text[])`, [taskId, eventIds]),
    )
    return result.rowCount ?? 0
  }

  /**
   * One page of the archived tasks (SPEC §21): one statement on the indexes of migration 0003,
   * which PostgreSQL keeps with every `saveTask` and `deleteTask`.
   */
  async listTasks(query: TaskIndexQuery): Promise<TaskIndexPage> {
    const { pool, names } = await this.ready()
    const { text, values, scanBound } = taskIndexStatement(names.tasks, query)
    const { rows } = await withClient(pool, 'listing tasks', (client) => client.query<TaskIndexRow>(text, values))
    return taskIndexPage(rows, query, scanBound)
  }

  /** Resolves when PostgreSQL answers `SELECT 1`; never runs migrations. */
  async ping(): Promise<void> {
    this.assertOpen()
    await withClient(this.options.pool, 'pinging', (client) => client.query('SELECT 1'))
  }

  /** Ends the pool when the store created it; a given pool is left open. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.options.ownsPool ? this.options.pool.end() : Promise.resolve()
    return this.closing
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new TaskcastError('STORE_UNAVAILABLE', 'the PostgreSQL store is closed')
  }

  /** The options, once migrations have run when `autoMigrate` asks for them. */
  private async ready(): Promise<ResolvedOptions> {
    this.assertOpen()
    if (!this.options.autoMigrate) return this.options
    // Shared by concurrent first calls; forgotten on failure so a later call retries.
    this.migrated ??= this.migrate().then(
      () => undefined,
      (error: unknown) => {
        this.migrated = undefined
        throw error
      },
    )
    await this.migrated
    return this.options
  }
}
