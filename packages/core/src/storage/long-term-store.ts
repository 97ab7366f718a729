// Long-term store: the archive that reads fall back to once the short-term store forgot a task.
import type { Task, TaskEvent } from '../types.js'
import type { EventRange } from './short-term-store.js'

/**
 * Durable archive, written asynchronously by the engine's long-term writer.
 *
 * Writes are idempotent upserts (the writer retries a batch after a failure, so the same
 * task or event may arrive twice). Accumulate and latest series arrive compacted: one
 * event per series carrying the series' running value or newest data, to be kept as a
 * single row per series.
 */
export interface LongTermStore {
  /** Inserts or replaces the task. */
  saveTask(task: Task): Promise<void>
  /** Inserts or replaces events by id; a series event replaces the series' previous row. */
  saveEvents(events: TaskEvent[]): Promise<void>
  getTask(taskId: string): Promise<Task | null>
  /** Events in index order. */
  getEvents(taskId: string, range?: EventRange): Promise<TaskEvent[]>
  deleteTask(taskId: string): Promise<boolean>
  deleteEvents(taskId: string, eventIds?: string[]): Promise<number>
  ping(): Promise<void>
  close(): Promise<void>
}
