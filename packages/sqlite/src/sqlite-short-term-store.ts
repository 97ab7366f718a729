// SqliteShortTermStore: core's ShortTermStore on one SQLite file, every write one transaction.
import {
  TaskcastError,
  taskCreatedAgain,
  taskNotFound,
  type AppendExpectation,
  type DeliveryLeaseStore,
  type EventDraft,
  type EventRange,
  type ProducerAppend,
  type ProducerStamp,
  type ShortTermStore,
  type Task,
  type TaskEvent,
  type TaskIndexPage,
  type TaskIndexQuery,
  type TransitionOutcome,
  type TransitionRequest,
} from '@taskcast/core'
import { accumulate, applyTransitionPatch, isStillCurrent, judgeProducerRequest, recordProducerRequest } from '@taskcast/core/internal'
import { storeClosed, toTaskcastError } from './errors.js'
import { openDatabase, type SqliteDatabase } from './open-database.js'
import { resolveDatabaseOptions, type SqliteShortTermStoreOptions } from './options.js'
import { decodeProducerState, encodeProducerState } from './producer-state-codec.js'
import type { SeriesRow, TaskHead, TaskRow } from './short-term-rows.js'
import { SqliteDeliveryLeases } from './sqlite-delivery-leases.js'
import { SqliteTaskIndex } from './sqlite-task-index.js'

/** An archive outbox entry, as core's `ShortTermStore.outboxList` gives it. */
type OutboxEntry = Awaited<ReturnType<NonNullable<ShortTermStore['outboxList']>>>[number]

/** How often tasks past their `expire()` deadline are removed; until then reads already treat them as gone. */
const PURGE_INTERVAL_MS = 30_000
const PURGE_BATCH = 500
/** Larger than any index. */
const LAST_INDEX = Number.MAX_SAFE_INTEGER

/** The key of a series in the series table: its id as a JSON string literal, exact for any string. */
const seriesKey = (seriesId: string) => JSON.stringify(seriesId)

/** Every statement of the store, prepared once per connection. */
function prepareStatements(db: SqliteDatabase) {
  return {
    taskRow: db.prepare<[string], TaskRow>('SELECT status, task, next_index AS nextIndex, expires_at AS expiresAt FROM tasks WHERE id = ?'),
    taskHead: db.prepare<[string], TaskHead>('SELECT status, next_index AS nextIndex, expires_at AS expiresAt FROM tasks WHERE id = ?'),
    taskHeadCreated: db.prepare<[string], TaskHead & { createdAt: number | null }>(
      "SELECT status, next_index AS nextIndex, expires_at AS expiresAt, json_extract(task, '$.createdAt') AS createdAt FROM tasks WHERE id = ?",
    ),
    expiryOf: db.prepare<[string], { expiresAt: number | null }>('SELECT expires_at AS expiresAt FROM tasks WHERE id = ?'),
    insertTask: db.prepare<[string, string, string]>('INSERT INTO tasks (id, status, task) VALUES (?, ?, ?)'),
    updateTask: db.prepare<[string, string, number, string]>('UPDATE tasks SET status = ?, task = ?, next_index = ? WHERE id = ?'),
    setNextIndex: db.prepare<[number, string]>('UPDATE tasks SET next_index = ? WHERE id = ?'),
    setExpiry: db.prepare<[number, string]>('UPDATE tasks SET expires_at = ? WHERE id = ?'),
    expiredTasks: db.prepare<[number, number], string>('SELECT id FROM tasks WHERE expires_at <= ? LIMIT ?').pluck(),

    insertEvent: db.prepare<[string, number, string, string]>('INSERT INTO events (task_id, idx, id, event) VALUES (?, ?, ?, ?)'),
    eventAt: db.prepare<[string, number], string>('SELECT event FROM events WHERE task_id = ? AND idx = ?').pluck(),
    replaceEventAt: db.prepare<[string, string, number]>('UPDATE events SET event = ? WHERE task_id = ? AND idx = ?'),
    eventsInRange: db
      .prepare<[string, number, number], string>('SELECT event FROM events WHERE task_id = ? AND idx >= ? AND idx <= ? ORDER BY idx')
      .pluck(),
    lastEventIndex: db.prepare<[string], number | null>('SELECT max(idx) FROM events WHERE task_id = ?').pluck(),
    deleteEvents: db.prepare<[string]>('DELETE FROM events WHERE task_id = ?'),
    deleteEventsById: db.prepare<[string, string]>('DELETE FROM events WHERE task_id = ? AND id IN (SELECT value FROM json_each(?))'),

    seriesRow: db.prepare<[string, string], SeriesRow>(
      'SELECT value, latest_index AS latestIndex FROM series WHERE task_id = ? AND series_key = ?',
    ),
    seriesValue: db.prepare<[string, string], string | null>('SELECT value FROM series WHERE task_id = ? AND series_key = ?').pluck(),
    upsertSeriesValue: db.prepare<[string, string, string]>(
      `INSERT INTO series (task_id, series_key, value) VALUES (?, ?, ?)
       ON CONFLICT (task_id, series_key) DO UPDATE SET value = excluded.value`,
    ),
    upsertSeriesLatest: db.prepare<[string, string, number]>(
      `INSERT INTO series (task_id, series_key, latest_index) VALUES (?, ?, ?)
       ON CONFLICT (task_id, series_key) DO UPDATE SET latest_index = excluded.latest_index`,
    ),
    deleteSeries: db.prepare<[string]>('DELETE FROM series WHERE task_id = ?'),

    producerState: db.prepare<[string, string], string>('SELECT state FROM producers WHERE task_id = ? AND producer_id = ?').pluck(),
    upsertProducer: db.prepare<[string, string, string]>(
      `INSERT INTO producers (task_id, producer_id, state) VALUES (?, ?, ?)
       ON CONFLICT (task_id, producer_id) DO UPDATE SET state = excluded.state`,
    ),
    deleteProducers: db.prepare<[string]>('DELETE FROM producers WHERE task_id = ?'),

    insertDeadline: db.prepare<[string, number]>('INSERT OR REPLACE INTO deadlines (task_id, at) VALUES (?, ?)'),
    dueDeadlines: db.prepare<[number, number], string>('SELECT task_id FROM deadlines WHERE at <= ? ORDER BY at, task_id LIMIT ?').pluck(),
    deleteDeadline: db.prepare<[string]>('DELETE FROM deadlines WHERE task_id = ?'),

    outboxAdd: db.prepare<[string, number]>('INSERT INTO outbox (task_id, touched_at) VALUES (?, ?) ON CONFLICT (task_id) DO NOTHING'),
    outboxTouch: db.prepare<[number, string]>('UPDATE outbox SET touched_at = ? WHERE task_id = ?'),
    outboxList: db.prepare<[number, number, number], { taskId: string; touchedAt: number }>(
      'SELECT task_id AS taskId, touched_at AS touchedAt FROM outbox WHERE touched_at <= ? ORDER BY touched_at, task_id LIMIT ? OFFSET ?',
    ),
    outboxClaim: db.prepare<[number, string, number]>('UPDATE outbox SET touched_at = ? WHERE task_id = ? AND touched_at = ?'),
    outboxRemove: db.prepare<[string]>('DELETE FROM outbox WHERE task_id = ?'),

    deleteTask: db.prepare<[string]>('DELETE FROM tasks WHERE id = ?'),
    deleteDeliveries: db.prepare<[string]>('DELETE FROM deliveries WHERE task_id = ?'),
    ping: db.prepare('SELECT 1'),
  }
}

/**
 * Tasks and their event logs in one SQLite file (SPEC §20), with the shared deadlines, the
 * archive outbox, producer state (§19) and webhook delivery leases (§10) beside them, so that
 * a restarted process carries on where the last one stopped.
 *
 * Every write is one `BEGIN IMMEDIATE` transaction on the store's one connection: atomic with
 * respect to every other caller, including other connections to the same file (another store
 * instance, another process; they wait for each other up to `busyTimeoutMs`). SQLite calls are
 * synchronous, so a write holds the event loop for its duration, which is microseconds.
 *
 * @example
 * ```ts
 * const store = new SqliteShortTermStore({ path: './taskcast.db' })
 * const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: store })
 * ```
 */
export class SqliteShortTermStore implements ShortTermStore {
  /** The outbox is in the file: what one process did not archive, the next one on the file does. */
  readonly outboxDurable = true
  readonly checksAppendExpectation = true
  /** The file as given. */
  readonly path: string
  private readonly db: SqliteDatabase
  private readonly sql: ReturnType<typeof prepareStatements>
  private readonly transaction: <T>(work: () => T) => T
  private readonly taskIndex: SqliteTaskIndex
  private readonly purgeTimer: ReturnType<typeof setInterval>
  private deliveryLeases: SqliteDeliveryLeases | undefined

  /**
   * Opens (or creates) the file and brings its schema up to date.
   * @throws TaskcastError `VALIDATION_ERROR` (`details.field` `path`) for a file that cannot be used:
   * a directory, a missing directory, another program's file, a damaged or read-only one.
   */
  constructor(options: SqliteShortTermStoreOptions) {
    const resolved = resolveDatabaseOptions(options)
    this.path = resolved.path
    this.db = openDatabase(resolved)
    this.sql = prepareStatements(this.db)
    const immediate = this.db.transaction((work: () => unknown) => work())
    this.transaction = <T>(work: () => T) => immediate.immediate(work) as T
    // A task past its expire() deadline stays in the index until the sweep removes it: skipped, but counted as examined.
    this.taskIndex = new SqliteTaskIndex(this.db, { table: 'tasks', expiryColumn: 'expires_at', isGone: (row) => this.expired(row) })
    this.purgeTimer = setInterval(() => this.purgeExpired(), PURGE_INTERVAL_MS)
    this.purgeTimer.unref?.()
  }

  async createTask(task: Task): Promise<boolean> {
    return this.write(() => {
      const head = this.sql.taskHead.get(task.id)
      if (head && !this.expired(head)) return false
      if (head) this.deleteRows(task.id)
      this.sql.insertTask.run(task.id, task.status, JSON.stringify(task))
      if (task.ttl !== undefined) this.sql.insertDeadline.run(task.id, task.createdAt + task.ttl * 1000)
      return true
    })
  }

  async getTask(taskId: string): Promise<Task | null> {
    return this.read(() => {
      const row = this.sql.taskRow.get(taskId)
      return row && !this.expired(row) ? (JSON.parse(row.task) as Task) : null
    })
  }

  async transitionTask(taskId: string, request: TransitionRequest): Promise<TransitionOutcome | null> {
    return this.write(() => {
      const row = this.sql.taskRow.get(taskId)
      if (!row || this.expired(row)) throw taskNotFound(taskId)
      if (row.status !== request.from) return null
      const current = JSON.parse(row.task) as Task
      if (!isStillCurrent(current, request)) return null
      const json = JSON.stringify(applyTransitionPatch(current, request.patch))
      const event = this.appendOne(taskId, request.event, row.nextIndex)
      this.sql.updateTask.run(request.patch.status, json, row.nextIndex + 1, taskId)
      return { task: JSON.parse(json) as Task, event }
    })
  }

  async appendEvents(taskId: string, drafts: EventDraft[], expect?: AppendExpectation): Promise<TaskEvent[]> {
    return this.write(() => this.appendRunning(taskId, this.requireHead(taskId, expect), drafts))
  }

  async appendProducerEvents(taskId: string, drafts: EventDraft[], stamp: ProducerStamp, expect?: AppendExpectation): Promise<ProducerAppend> {
    return this.write(() => {
      const head = this.requireHead(taskId, expect)
      const stored = this.sql.producerState.get(taskId, stamp.id)
      const state = stored === undefined ? undefined : decodeProducerState(stored)
      const verdict = judgeProducerRequest(state, stamp, drafts.length)
      if (verdict.kind === 'retry') {
        return { events: this.readEvents(taskId, verdict.index, verdict.index + drafts.length - 1), retry: true }
      }
      const events = this.appendRunning(taskId, head, drafts)
      const recorded = recordProducerRequest(state, stamp, drafts.length, events[0]?.index ?? head.nextIndex)
      this.sql.upsertProducer.run(taskId, stamp.id, encodeProducerState(recorded))
      return { events, retry: false }
    })
  }

  async getEvents(taskId: string, range: EventRange = {}): Promise<TaskEvent[]> {
    return this.read(() => {
      const task = this.sql.expiryOf.get(taskId)
      if (!task || this.expired(task)) return []
      return this.readEvents(taskId, range.fromIndex ?? 0, range.toIndex ?? LAST_INDEX)
    })
  }

  async getSeriesValue(taskId: string, seriesId: string): Promise<unknown> {
    return this.read(() => {
      const task = this.sql.expiryOf.get(taskId)
      if (!task || this.expired(task)) return undefined
      const value = this.sql.seriesValue.get(taskId, seriesKey(seriesId))
      return value == null ? undefined : JSON.parse(value)
    })
  }

  async deleteTask(taskId: string): Promise<boolean> {
    return this.write(() => {
      const head = this.sql.taskHead.get(taskId)
      if (head) this.deleteRows(taskId)
      return head !== undefined && !this.expired(head)
    })
  }

  async deleteEvents(taskId: string, eventIds?: string[]): Promise<number> {
    if (eventIds !== undefined && eventIds.length === 0) return 0
    return this.write(() => {
      const head = this.sql.taskHead.get(taskId)
      if (!head || this.expired(head)) return 0
      if (eventIds !== undefined) return this.sql.deleteEventsById.run(taskId, JSON.stringify(eventIds)).changes
      // All events: the series state goes with them, as the log it summed up is gone.
      this.sql.deleteSeries.run(taskId)
      return this.sql.deleteEvents.run(taskId).changes
    })
  }

  /** From now on the task and everything stored for it count as gone after `seconds`, and are removed soon after. */
  async expire(taskId: string, seconds: number): Promise<void> {
    await this.write(() => {
      const head = this.sql.taskHead.get(taskId)
      if (head && !this.expired(head)) this.sql.setExpiry.run(Date.now() + Math.max(0, seconds) * 1000, taskId)
    })
  }

  /** Ids of tasks whose TTL deadline is at or before `now` (ms), earliest first, at most `max`. */
  async dueDeadlines(now: number, max: number): Promise<string[]> {
    if (max <= 0) return []
    return this.read(() => this.sql.dueDeadlines.all(now, max))
  }

  async clearDeadline(taskId: string): Promise<void> {
    await this.write(() => this.sql.deleteDeadline.run(taskId))
  }

  async outboxAdd(taskId: string, at: number): Promise<void> {
    await this.write(() => this.sql.outboxAdd.run(taskId, at))
  }

  async outboxTouch(taskIds: readonly string[], at: number): Promise<void> {
    if (taskIds.length === 0) return
    await this.write(() => {
      for (const taskId of taskIds) this.sql.outboxTouch.run(at, taskId)
    })
  }

  async outboxList(until: number, limit: number, offset = 0): Promise<OutboxEntry[]> {
    if (limit <= 0) return []
    return this.read(() => this.sql.outboxList.all(until, limit, offset))
  }

  async outboxClaim(taskId: string, seenAt: number, at: number): Promise<boolean> {
    return this.write(() => this.sql.outboxClaim.run(at, taskId, seenAt).changes === 1)
  }

  async outboxRemove(taskId: string): Promise<void> {
    await this.write(() => this.sql.outboxRemove.run(taskId))
  }

  /**
   * One page of the task list (SPEC §21) from the indexes of migration 0002, which SQLite keeps
   * with every write of a task row; an expired task is not listed, though not yet swept.
   */
  async listTasks(query: TaskIndexQuery): Promise<TaskIndexPage> {
    return this.read(() => this.taskIndex.list(query))
  }

  async ping(): Promise<void> {
    await this.read(() => this.sql.ping.get())
  }

  /** Closes the connection; the file keeps everything. Safe to call twice. */
  async close(): Promise<void> {
    clearInterval(this.purgeTimer)
    // The last connection to close checkpoints the WAL and removes it.
    if (this.db.open) this.db.close()
  }

  /**
   * Webhook delivery leases and cursors (SPEC §10) in the file: a record per (task, webhook)
   * that goes with the task, and the index of deliveries that may have work. So a restarted
   * server resumes each delivery after the last event it handled.
   */
  get deliveries(): DeliveryLeaseStore {
    return (this.deliveryLeases ??= new SqliteDeliveryLeases(this.db, {
      write: (work) => this.write(work),
      liveTask: (taskId) => {
        const row = this.sql.taskRow.get(taskId)
        return row && !this.expired(row) ? row : undefined
      },
      lastEventIndex: (taskId) => this.sql.lastEventIndex.get(taskId) ?? -1,
    }))
  }

  /** Runs `work` in one IMMEDIATE transaction; its throw rolls everything back. */
  private write<T>(work: () => T): Promise<T> {
    if (!this.db.open) return Promise.reject(storeClosed())
    try {
      return Promise.resolve(this.transaction(work))
    } catch (error) {
      return Promise.reject(toTaskcastError(error))
    }
  }

  private read<T>(work: () => T): Promise<T> {
    if (!this.db.open) return Promise.reject(storeClosed())
    try {
      return Promise.resolve(work())
    } catch (error) {
      return Promise.reject(toTaskcastError(error))
    }
  }

  private expired(row: { expiresAt: number | null }): boolean {
    return row.expiresAt !== null && row.expiresAt <= Date.now()
  }

  private requireHead(taskId: string, expect?: AppendExpectation): TaskHead {
    if (!expect) {
      const head = this.sql.taskHead.get(taskId)
      if (!head || this.expired(head)) throw taskNotFound(taskId)
      return head
    }
    const head = this.sql.taskHeadCreated.get(taskId)
    if (!head || this.expired(head)) throw taskNotFound(taskId)
    if (head.createdAt !== expect.createdAt) throw taskCreatedAgain(taskId)
    return head
  }

  /** Appends `drafts` from the task's next index, only while it runs. Inside a transaction. */
  private appendRunning(taskId: string, head: TaskHead, drafts: EventDraft[]): TaskEvent[] {
    if (head.status !== 'running') throw new TaskcastError('TASK_NOT_RUNNING', `task ${taskId} is ${head.status}, not running`)
    const events = drafts.map((draft, i) => this.appendOne(taskId, draft, head.nextIndex + i))
    if (events.length > 0) this.sql.setNextIndex.run(head.nextIndex + events.length, taskId)
    return events
  }

  /** Stores one event at `index` and keeps its series' state. Inside a transaction. */
  private appendOne(taskId: string, draft: EventDraft, index: number): TaskEvent {
    const event = { ...draft, index } as TaskEvent
    const { seriesId, seriesMode } = event
    if (seriesId !== undefined && (seriesMode === 'accumulate' || seriesMode === 'latest')) {
      const key = seriesKey(seriesId)
      const state = this.sql.seriesRow.get(taskId, key)
      if (seriesMode === 'accumulate') {
        const running = state?.value == null ? undefined : JSON.parse(state.value)
        this.sql.upsertSeriesValue.run(taskId, key, JSON.stringify(accumulate(running, event.data, event.seriesAccField ?? 'delta')))
      } else {
        if (state?.latestIndex != null) this.supersede(taskId, state.latestIndex)
        this.sql.upsertSeriesLatest.run(taskId, key, index)
      }
    }
    this.sql.insertEvent.run(taskId, index, event.id, JSON.stringify(event))
    return event
  }

  /** Turns the event at `index` into its placeholder (a newer event of its latest series replaced it). */
  private supersede(taskId: string, index: number): void {
    const stored = this.sql.eventAt.get(taskId, index)
    if (stored === undefined) return
    const placeholder = { ...(JSON.parse(stored) as TaskEvent), data: null, superseded: true }
    this.sql.replaceEventAt.run(JSON.stringify(placeholder), taskId, index)
  }

  private readEvents(taskId: string, from: number, to: number): TaskEvent[] {
    return this.sql.eventsInRange.all(taskId, from, to).map((json) => JSON.parse(json) as TaskEvent)
  }

  /** Everything stored for the task, in the transaction under way. */
  private deleteRows(taskId: string): void {
    for (const statement of [
      this.sql.deleteTask,
      this.sql.deleteEvents,
      this.sql.deleteSeries,
      this.sql.deleteProducers,
      this.sql.deleteDeadline,
      this.sql.deleteDeliveries,
    ]) {
      statement.run(taskId)
    }
  }

  /** Removes tasks past their `expire()` deadline, a batch at a time. */
  private purgeExpired(): void {
    if (!this.db.open) return
    try {
      this.transaction(() => {
        for (const taskId of this.sql.expiredTasks.all(Date.now(), PURGE_BATCH)) this.deleteRows(taskId)
      })
    } catch {
      // Busy or failing: the next round tries again, and reads treat expired tasks as gone meanwhile.
    }
  }
}
