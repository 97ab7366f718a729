// Short-term store: the source of truth for live tasks and their ordered event logs.
import type { Task, TaskEvent, TaskStatus } from '../types.js'
import type { ProducerStamp } from '../producer-sequence.js'
import type { TaskIndexPage, TaskIndexQuery } from '../task-list.js'

/** An event before the store gave it an index. */
export type EventDraft = Omit<TaskEvent, 'index' | 'superseded'>

/** Inclusive bounds on raw event indexes. */
export interface EventRange {
  fromIndex?: number
  toIndex?: number
}

/**
 * Which task an append is meant for: a task deleted and created again under the same id is
 * another one. The engine appends on what it remembers of a task (its rules never change
 * after creation) instead of reading it first; this says whether it remembers the right one.
 */
export interface AppendExpectation {
  /** The `createdAt` of the task the caller means. */
  createdAt: number
}

/** Where a read of the end of a log starts: a position (a whole number, 0: the first event stored), or an event. */
export type LogStart = { position: number } | { eventId: string }

/** The end of a task's log, from `LogStart`, and the position of its first event. */
export interface LogTail {
  position: number
  events: TaskEvent[]
}

/** What `appendProducerEvents` did. */
export interface ProducerAppend {
  /** The request's events as stored (a superseded series event as its placeholder). */
  events: TaskEvent[]
  /** The request was a retry: nothing was appended now. */
  retry: boolean
}

export interface TransitionRequest {
  /** The status the caller read; the transition only happens if it is still current. */
  from: TaskStatus
  /**
   * With `from: 'assigned'`: the `assignedTo.at` the caller read. The transition only happens
   * if the task is still that assignment, not a later one of the same status (a lapsed lease
   * gave it back and another worker took it between the read and the write).
   */
  fromAssignedAt?: number
  /**
   * Fields to set on the task together with the new status. A field present with the value
   * `undefined` is removed (as `blockedRequest` is when a task leaves `blocked`).
   */
  patch: Pick<Task, 'status' | 'updatedAt'> &
    Partial<Pick<Task, 'completedAt' | 'result' | 'error' | 'blockedRequest' | 'resolution' | 'assignedTo'>>
  /** The `taskcast:status` event appended in the same atomic step. */
  event: EventDraft
}

export interface TransitionOutcome {
  task: Task
  event: TaskEvent
}

/** One entry of the archive outbox (see {@link ShortTermStore.outboxAdd}). */
export interface OutboxEntry {
  taskId: string
  /** The time (ms) the entry was last added, touched or claimed with, as the caller gave it. */
  touchedAt: number
}

/**
 * Holds tasks and their event logs while they are live.
 *
 * Every method that writes is atomic with respect to every other caller, in every
 * process sharing the store (a Redis Lua script, not read-then-write from the engine).
 */
export interface ShortTermStore {
  /** Stores a new task. Resolves `false`, changing nothing, when the id exists. */
  createTask(task: Task): Promise<boolean>
  /** The task, or `null`. The returned object is the caller's to keep. */
  getTask(taskId: string): Promise<Task | null>
  /**
   * Compare-and-set on status: when the task's status equals `request.from` (and, given
   * `request.fromAssignedAt`, its `assignedTo.at` equals it), applies `request.patch` and
   * appends `request.event` with the next index, atomically. Resolves `null` (changing
   * nothing) when either differs.
   * @throws TaskcastError `TASK_NOT_FOUND`
   */
  transitionTask(taskId: string, request: TransitionRequest): Promise<TransitionOutcome | null>
  /**
   * Appends user events with consecutive indexes, only while the task is `running`, in one
   * atomic step: either all drafts are stored or none. Maintains series state: an
   * `accumulate` event extends the series' running value; a `latest` event turns the
   * series' previous event into a placeholder (`superseded: true`, `data: null`).
   * With `expect` (stores that set `checksAppendExpectation`), only when the task is the one
   * created at `expect.createdAt`; another one under the id throws `CONFLICT`, storing nothing.
   * @throws TaskcastError `TASK_NOT_FOUND`, `TASK_NOT_RUNNING`, `CONFLICT`
   */
  appendEvents(taskId: string, drafts: EventDraft[], expect?: AppendExpectation): Promise<TaskEvent[]>
  /**
   * `appendEvents` for a request stamped by an idempotent producer (SPEC §19): the stamp is
   * checked against the producer's stored epoch and next seq, and both are updated, in the
   * same atomic step as the append. The exact retry of one of the producer's last accepted
   * requests (same epoch, first seq and count, within `PRODUCER_RETRY_WINDOW` seqs) appends
   * nothing and answers the events that request stored (`retry: true`), even when the task
   * no longer runs. Producer state goes with the task (deletion, expiry, a new incarnation).
   * `expect` as for `appendEvents`, checked before anything else.
   * @throws TaskcastError `TASK_NOT_FOUND`, `TASK_NOT_RUNNING`, `CONFLICT`, `STALE_PRODUCER`
   * (`details.currentEpoch`), `SEQUENCE_GAP` (`details.expectedSeq`)
   */
  appendProducerEvents(taskId: string, drafts: EventDraft[], stamp: ProducerStamp, expect?: AppendExpectation): Promise<ProducerAppend>
  /**
   * Optional: the store honours the `expect` argument of `appendEvents` and
   * `appendProducerEvents`. A store without it gets no `expect`: the engine reads the task
   * before every publish it checks for a caller.
   */
  readonly checksAppendExpectation?: boolean
  /**
   * Events in index order, placeholders included, limited to `range` when given.
   * Resolves `[]` for an unknown task.
   */
  getEvents(taskId: string, range?: EventRange): Promise<TaskEvent[]>
  /**
   * Optional: the events from `start` to the end, placeholders included (as `getEvents` has
   * them), with the position of the first: the event at `start.position`, or the one with
   * `start.eventId`. Resolves `undefined` when the task or that event is not stored. Readers
   * resuming near the end of a long log read that end only.
   */
  getEventsFrom?(taskId: string, start: LogStart): Promise<LogTail | undefined>
  /** The running value of an accumulate series (see SPEC §4), or `undefined`. */
  getSeriesValue(taskId: string, seriesId: string): Promise<unknown>
  /** Removes the task, its events and its series state. Resolves whether it existed. */
  deleteTask(taskId: string): Promise<boolean>
  /** Removes some (by id) or all events of a task; indexes of later events do not change. */
  deleteEvents(taskId: string, eventIds?: string[]): Promise<number>
  /** Sets a retention period on everything stored for the task. */
  expire(taskId: string, seconds: number): Promise<void>
  /**
   * Optional: TTL deadlines that outlive the process and are shared by every process using
   * the store. When present, `createTask` of a task with a `ttl` records its deadline, and
   * the engine polls this method for ids whose deadline passed (compare-and-set makes sure
   * only one process times a task out).
   */
  dueDeadlines?(now: number, max: number): Promise<string[]>
  /** Optional, with `dueDeadlines`: forgets a task's deadline once it is handled. */
  clearDeadline?(taskId: string): Promise<void>
  /**
   * Optional, all outbox members or none: the archive outbox, the set of tasks that may have
   * changes the long-term store does not hold yet. The engine adds a task before creating it
   * (when a long-term store is configured) and its long-term writer removes it once the
   * task's terminal state and whole log are archived, so writes still waiting for the
   * archive survive a stop, a crash or a restart: a later sweep (of this or any process
   * sharing the store) reads such a task back from this store and archives it again.
   *
   * The outbox is independent of the tasks: `deleteTask`, `deleteEvents` and `expire` leave
   * entries alone. Adds an entry for `taskId` with `touchedAt = at`; an existing entry is
   * left as it is (a duplicate add is harmless).
   */
  outboxAdd?(taskId: string, at: number): Promise<void>
  /**
   * Sets `touchedAt = at` on the entries of `taskIds` that exist, in one round trip; never
   * creates an entry. A writer touches the tasks it still holds writes for, so other
   * processes can tell a live owner from a dead one.
   */
  outboxTouch?(taskIds: readonly string[], at: number): Promise<void>
  /**
   * Entries touched at or before `until`, oldest first (ties by task id), skipping `offset`
   * of them, at most `limit`. Every process sharing the store sees the same entries.
   */
  outboxList?(until: number, limit: number, offset?: number): Promise<OutboxEntry[]>
  /**
   * Compare-and-set on an entry: when its `touchedAt` still equals `seenAt`, sets it to `at`
   * and resolves `true`; otherwise (touched or claimed meanwhile, or removed) changes nothing
   * and resolves `false`. Atomic, so of several processes claiming what they listed, one wins.
   */
  outboxClaim?(taskId: string, seenAt: number, at: number): Promise<boolean>
  /** Removes the entry of `taskId`, if any. */
  outboxRemove?(taskId: string): Promise<void>
  /**
   * With the outbox: whether its entries outlive the process (shared storage such as Redis),
   * so that what was not archived before a stop is taken over by another process rather
   * than lost. An in-process store says `false`.
   */
  readonly outboxDurable?: boolean
  /**
   * Optional: one page of the task index (SPEC §21), newest first (ties by id, descending:
   * keys from `taskIndexKey`, below `query.after`), holding only tasks that match the query
   * and exist — never a deleted or expired one. The index is kept by `createTask`,
   * `transitionTask`, `deleteTask` and expiry, never by scanning every key. Examines at most
   * `TASK_LIST_SCAN_LIMIT` entries per call.
   */
  listTasks?(query: TaskIndexQuery): Promise<TaskIndexPage>
  /** Resolves when the store answers; rejects otherwise. Used by health checks. */
  ping(): Promise<void>
  close(): Promise<void>
  /**
   * Optional: leases and cursors of webhook deliveries (SPEC §10), shared by every process
   * using the store, so that one process at a time delivers a (task, webhook) pair and
   * another takes over when it dies. Without it, a server delivers from its own process only.
   */
  readonly deliveries?: import('./delivery-lease-store.js').DeliveryLeaseStore
}
