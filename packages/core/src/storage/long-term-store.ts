// Long-term store: the archive that reads fall back to once the short-term store forgot a task.
import type { Task, TaskEvent } from '../types.js'
import type { EventRange } from './short-term-store.js'
import type { TaskIndexPage, TaskIndexQuery } from '../task-list.js'

/**
 * Durable archive, written asynchronously by the engine's long-term writer. Every adapter
 * passes `describeLongTermStoreContract` from `@taskcast/core/testing` unchanged.
 *
 * Writes are idempotent and commutative: the writer retries a batch after a failure, and
 * with several processes (or an outbox read-back) the same task or event may arrive twice
 * and in any order. What the archive ends up holding depends only on what it was given,
 * never on the order.
 *
 * Series in `accumulate` or `latest` mode are compacted (SPEC §4): the archive keeps one
 * row per series, which holds its newest event (for accumulate, the writer sends that event
 * with the series' running value as data). Every other event of the series it was given
 * leaves only its skeleton behind (index, type, level), which reads return as a placeholder
 * — `superseded: true`, `data: null`, like the short-term store's placeholders of replaced
 * `latest` events. Placeholders are never delivered but count in `filteredIndex`, so a
 * reader of an archived task gets, for every event it is delivered, the `filteredIndex`
 * it would have got live.
 */
export interface LongTermStore {
  /**
   * Inserts the task, or replaces the stored snapshot with this one — except that a task
   * stored with a terminal status is never replaced by a non-terminal snapshot (snapshots
   * written by different processes can arrive in any order; terminal states never change).
   * A terminal snapshot does replace a terminal one.
   */
  saveTask(task: Task): Promise<void>
  /**
   * Stores events; saving an event again (same id) changes nothing but what a re-save may
   * refresh (its fields, a series row's running value at the same index).
   *
   * An event outside compacted series is kept whole, by id. An event of an accumulate or
   * latest series is merged into its series' row: the row moves forward to an event with a
   * higher index (the one it held turns into a placeholder) and never back (an older event
   * only adds its placeholder). A placeholder given (`superseded: true`) only adds its
   * skeleton; given at the row's own index, it marks the row superseded (its data goes).
   * The writer sends placeholders for the series events it compacted away in a batch.
   */
  saveEvents(events: TaskEvent[]): Promise<void>
  /** The latest stored snapshot, or `null`. The returned object is the caller's to keep. */
  getTask(taskId: string): Promise<Task | null>
  /**
   * The archived log in index order, placeholders included, limited to `range` (inclusive
   * bounds) when given; `[]` for an unknown task. A placeholder carries its own index, type
   * and level, its series' `seriesId`, `seriesMode`, `seriesAccField` and timestamp, and the
   * id `<taskId>:<index>` (never the id of a stored event; left to the adapter otherwise).
   */
  getEvents(taskId: string, range?: EventRange): Promise<TaskEvent[]>
  /** Removes the task and all its events. Resolves whether the archive held either. */
  deleteTask(taskId: string): Promise<boolean>
  /**
   * Removes the given events (by id) or all events of the task; resolves how many rows went.
   * A series row is one row, and its placeholders go with it; placeholder ids select nothing.
   */
  deleteEvents(taskId: string, eventIds?: string[]): Promise<number>
  /**
   * Optional: one page of the archived tasks (`GET /tasks?source=archive`), with the order,
   * the filters and the cursor of `ShortTermStore.listTasks`.
   */
  listTasks?(query: TaskIndexQuery): Promise<TaskIndexPage>
  /** Resolves when the archive answers. */
  ping(): Promise<void>
  close(): Promise<void>
}
