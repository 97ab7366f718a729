// Webhook delivery leases and cursors (core's DeliveryLeaseStore) in the short-term store's file:
// a record per (task, webhook key) that goes with its task, and the index of deliveries that
// may have work. Each method is one transaction of the store, so it is atomic with respect to
// the task's own writes and to every other connection to the file.
import {
  isTerminalStatus,
  type DeliveryAcquireResult,
  type DeliveryExtendResult,
  type DeliveryLeaseStore,
  type DeliveryPosition,
  type DeliveryRef,
  type DeliveryReleaseResult,
  type Task,
  type TaskStatus,
} from '@taskcast/core'
import type { SqliteDatabase } from './open-database.js'

/** What the leases need of the store they live in. */
export interface LeaseHost {
  /** Runs `work` in one write transaction of the store. */
  write<T>(work: () => T): Promise<T>
  /** The task's row when it exists and has not expired. */
  liveTask(taskId: string): { status: string; task: string } | undefined
  /** Index of the task's last stored event, -1 when it has none. */
  lastEventIndex(taskId: string): number
}

interface DeliveryRecord extends DeliveryPosition {
  done: boolean
  owner: string | null
  expiresAt: number
}

interface RecordRow {
  cursor: number
  filteredCount: number
  done: number
  owner: string | null
  expiresAt: number
}

const FRESH: DeliveryRecord = { cursor: -1, filteredCount: 0, done: false, owner: null, expiresAt: 0 }

export class SqliteDeliveryLeases implements DeliveryLeaseStore {
  private readonly sql

  constructor(
    db: SqliteDatabase,
    private readonly host: LeaseHost,
  ) {
    this.sql = {
      record: db.prepare<[string, string], RecordRow>(
        `SELECT cursor, filtered_count AS filteredCount, done, owner, expires_at AS expiresAt
         FROM deliveries WHERE task_id = ? AND key = ?`,
      ),
      saveRecord: db.prepare<[string, string, number, number, number, string | null, number]>(
        `INSERT INTO deliveries (task_id, key, cursor, filtered_count, done, owner, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (task_id, key) DO UPDATE SET cursor = excluded.cursor, filtered_count = excluded.filtered_count,
           done = excluded.done, owner = excluded.owner, expires_at = excluded.expires_at`,
      ),
      track: db.prepare<[string, string, number]>(
        'INSERT INTO delivery_index (task_id, key, due_at) VALUES (?, ?, ?) ON CONFLICT (task_id, key) DO NOTHING',
      ),
      due: db.prepare<[number, number], DeliveryRef>(
        'SELECT task_id AS taskId, key FROM delivery_index WHERE due_at <= ? ORDER BY due_at, task_id, key LIMIT ?',
      ),
      schedule: db.prepare<[number, string, string]>('UPDATE delivery_index SET due_at = ? WHERE task_id = ? AND key = ?'),
      untrack: db.prepare<[string, string]>('DELETE FROM delivery_index WHERE task_id = ? AND key = ?'),
    }
  }

  acquire(taskId: string, key: string, owner: string, ttlMs: number): Promise<DeliveryAcquireResult> {
    return this.host.write((): DeliveryAcquireResult => {
      const task = this.host.liveTask(taskId)
      if (!task) return { status: 'gone' }
      const record = this.recordOf(taskId, key)
      const now = Date.now()
      if (record.owner !== null && record.owner !== owner && record.expiresAt > now) {
        return { status: 'held', remainingMs: record.expiresAt - now }
      }
      if (record.done) return { status: 'done' }
      if (this.host.lastEventIndex(taskId) <= record.cursor) {
        record.owner = null
        record.done = isTerminalStatus(task.status as TaskStatus)
        this.save(taskId, key, record)
        return { status: record.done ? 'done' : 'idle' }
      }
      record.owner = owner
      record.expiresAt = now + ttlMs
      this.save(taskId, key, record)
      const { createdAt } = JSON.parse(task.task) as Task
      return { status: 'acquired', cursor: record.cursor, filteredCount: record.filteredCount, taskCreatedAt: createdAt }
    })
  }

  extend(taskId: string, key: string, owner: string, ttlMs: number, position?: DeliveryPosition): Promise<DeliveryExtendResult> {
    return this.host.write((): DeliveryExtendResult => {
      if (!this.host.liveTask(taskId)) return 'gone'
      const record = this.heldRecord(taskId, key, owner)
      if (!record) return 'lost'
      record.expiresAt = Date.now() + ttlMs
      if (position) moveForward(record, position)
      this.save(taskId, key, record)
      return 'extended'
    })
  }

  release(
    taskId: string,
    key: string,
    owner: string,
    ttlMs: number,
    position: DeliveryPosition,
    options: { force?: boolean } = {},
  ): Promise<DeliveryReleaseResult> {
    return this.host.write((): DeliveryReleaseResult => {
      const task = this.host.liveTask(taskId)
      if (!task) return 'gone'
      const record = this.heldRecord(taskId, key, owner)
      if (!record) return 'lost'
      moveForward(record, position)
      let result: DeliveryReleaseResult
      if (!options.force && this.host.lastEventIndex(taskId) > record.cursor) {
        record.expiresAt = Date.now() + ttlMs
        result = 'more'
      } else {
        record.owner = null
        record.done = !options.force && isTerminalStatus(task.status as TaskStatus)
        result = record.done ? 'done' : 'released'
      }
      this.save(taskId, key, record)
      return result
    })
  }

  async track(refs: readonly DeliveryRef[], at: number): Promise<void> {
    if (refs.length === 0) return
    await this.host.write(() => {
      for (const ref of refs) this.sql.track.run(ref.taskId, ref.key, at)
    })
  }

  claimDue(now: number, until: number, limit: number): Promise<DeliveryRef[]> {
    if (limit <= 0) return Promise.resolve([])
    return this.host.write(() => {
      const due = this.sql.due.all(now, limit)
      for (const ref of due) this.sql.schedule.run(until, ref.taskId, ref.key)
      return due
    })
  }

  async schedule(ref: DeliveryRef, at: number): Promise<void> {
    await this.host.write(() => this.sql.schedule.run(at, ref.taskId, ref.key))
  }

  async untrack(ref: DeliveryRef): Promise<void> {
    await this.host.write(() => this.sql.untrack.run(ref.taskId, ref.key))
  }

  private recordOf(taskId: string, key: string): DeliveryRecord {
    const row = this.sql.record.get(taskId, key)
    return row ? { ...row, done: row.done === 1 } : { ...FRESH }
  }

  /** The record, when `owner` holds its lease. */
  private heldRecord(taskId: string, key: string, owner: string): DeliveryRecord | undefined {
    const row = this.sql.record.get(taskId, key)
    return row && row.owner === owner ? { ...row, done: row.done === 1 } : undefined
  }

  private save(taskId: string, key: string, record: DeliveryRecord): void {
    this.sql.saveRecord.run(taskId, key, record.cursor, record.filteredCount, record.done ? 1 : 0, record.owner, record.expiresAt)
  }
}

/** Only the holder moves the cursor, and only forward. */
function moveForward(record: DeliveryRecord, position: DeliveryPosition): void {
  if (position.cursor <= record.cursor) return
  record.cursor = position.cursor
  record.filteredCount = position.filteredCount
}
