// In-process short-term store. Every method runs to completion without awaiting, which is
// what makes each write atomic here.
import { systemClock, type Clock, type TimerHandle } from '../clock.js'
import { TaskcastError, taskCreatedAgain, taskNotFound } from '../errors.js'
import { accumulate } from '../series.js'
import { judgeProducerRequest, recordProducerRequest, type ProducerStamp, type ProducerState } from '../producer-sequence.js'
import type {
  AppendExpectation,
  EventDraft,
  EventRange,
  LogStart,
  LogTail,
  OutboxEntry,
  ProducerAppend,
  ShortTermStore,
  TransitionOutcome,
  TransitionRequest,
} from '../storage/short-term-store.js'
import type { Task, TaskEvent } from '../types.js'
import { isTerminalStatus } from '../state-machine.js'
import { applyTransitionPatch, isStillCurrent } from '../task-patch.js'
import { matchesTaskQuery, taskIdOfKey, type TaskIndexPage, type TaskIndexQuery } from '../task-list.js'
import { MemoryTaskIndex } from './memory-task-index.js'
import type {
  DeliveryAcquireResult,
  DeliveryExtendResult,
  DeliveryLeaseStore,
  DeliveryPosition,
  DeliveryRef,
  DeliveryReleaseResult,
} from '../storage/delivery-lease-store.js'

interface SeriesState {
  value?: unknown
  latestIndex?: number
}

interface TaskRecord {
  task: Task
  events: TaskEvent[]
  nextIndex: number
  series: Map<string, SeriesState>
  /** Idempotent producers by id (SPEC §19); they go with the task. */
  producers?: Map<string, ProducerState>
  expiry?: TimerHandle
}

export interface MemoryShortTermStoreOptions {
  /** @defaultValue the system clock */
  clock?: Clock
}

/** Position of the first event whose index is ≥ `index` (events are sorted by index). */
function lowerBound(events: TaskEvent[], index: number): number {
  let lo = 0
  let hi = events.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (events[mid]!.index < index) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * A frozen event: `source`'s fields in their order, then `changes`. Built field by field: V8
 * reads a frozen object made with spread syntax (`Object.freeze({ ...draft, index })`) about
 * fifteen times slower, and every reader (fan-out, replay, history) reads every stored event.
 */
function frozenCopy(source: object, changes: Partial<TaskEvent>): TaskEvent {
  const event: Record<string, unknown> = {}
  for (const key in source) event[key] = (source as Record<string, unknown>)[key]
  for (const key in changes) event[key] = (changes as Record<string, unknown>)[key]
  return Object.freeze(event) as unknown as TaskEvent
}

export class MemoryShortTermStore implements ShortTermStore {
  private readonly records = new Map<string, TaskRecord>()
  private readonly deadlines = new Map<string, number>()
  /** The archive outbox: task id → touchedAt. It lives and dies with the process. */
  private readonly outbox = new Map<string, number>()
  private readonly index = new MemoryTaskIndex()
  private readonly clock: Clock
  readonly outboxDurable = false
  readonly checksAppendExpectation = true

  constructor(options: MemoryShortTermStoreOptions = {}) {
    this.clock = options.clock ?? systemClock
  }

  async createTask(task: Task): Promise<boolean> {
    if (this.records.has(task.id)) return false
    const record: TaskRecord = { task: structuredClone(task), events: [], nextIndex: 0, series: new Map() }
    this.records.set(task.id, record)
    this.index.add(record.task)
    if (task.ttl !== undefined) this.deadlines.set(task.id, task.createdAt + task.ttl * 1000)
    return true
  }

  async getTask(taskId: string): Promise<Task | null> {
    const record = this.records.get(taskId)
    return record ? structuredClone(record.task) : null
  }

  async transitionTask(taskId: string, request: TransitionRequest): Promise<TransitionOutcome | null> {
    const record = this.requireRecord(taskId)
    if (!isStillCurrent(record.task, request)) return null
    const task = applyTransitionPatch(record.task, structuredClone(request.patch))
    record.task = task
    this.index.move(task, request.from)
    const event = this.appendOne(record, request.event)
    return { task: structuredClone(task), event }
  }

  async appendEvents(taskId: string, drafts: EventDraft[], expect?: AppendExpectation): Promise<TaskEvent[]> {
    const record = this.requireRecord(taskId, expect)
    this.requireRunning(record)
    return drafts.map((draft) => this.appendOne(record, draft))
  }

  async appendProducerEvents(taskId: string, drafts: EventDraft[], stamp: ProducerStamp, expect?: AppendExpectation): Promise<ProducerAppend> {
    const record = this.requireRecord(taskId, expect)
    const state = record.producers?.get(stamp.id)
    const verdict = judgeProducerRequest(state, stamp, drafts.length)
    if (verdict.kind === 'retry') {
      const start = lowerBound(record.events, verdict.index)
      return { events: record.events.slice(start, lowerBound(record.events, verdict.index + drafts.length)), retry: true }
    }
    this.requireRunning(record)
    const events = drafts.map((draft) => this.appendOne(record, draft))
    ;(record.producers ??= new Map()).set(stamp.id, recordProducerRequest(state, stamp, drafts.length, events[0]!.index))
    return { events, retry: false }
  }

  async getEvents(taskId: string, range: EventRange = {}): Promise<TaskEvent[]> {
    const events = this.records.get(taskId)?.events
    if (!events) return []
    const start = range.fromIndex === undefined ? 0 : lowerBound(events, range.fromIndex)
    const end = range.toIndex === undefined ? events.length : lowerBound(events, range.toIndex + 1)
    return events.slice(start, end)
  }

  async getEventsFrom(taskId: string, start: LogStart): Promise<LogTail | undefined> {
    const events = this.records.get(taskId)?.events
    if (!events) return undefined
    let position = 'position' in start ? start.position : events.length - 1
    // Readers resume near the end: an event is looked for from there.
    if ('eventId' in start) while (position >= 0 && events[position]!.id !== start.eventId) position--
    if (position < 0 || position >= events.length) return undefined
    return { position, events: events.slice(position) }
  }

  async getSeriesValue(taskId: string, seriesId: string): Promise<unknown> {
    return structuredClone(this.records.get(taskId)?.series.get(seriesId)?.value)
  }

  async deleteTask(taskId: string): Promise<boolean> {
    const record = this.records.get(taskId)
    if (!record) return false
    if (record.expiry !== undefined) this.clock.clearTimeout(record.expiry)
    this.forget(record)
    this.deadlines.delete(taskId)
    return true
  }

  async deleteEvents(taskId: string, eventIds?: string[]): Promise<number> {
    const record = this.records.get(taskId)
    if (!record) return 0
    const before = record.events.length
    if (eventIds === undefined) {
      record.events = []
      record.series.clear()
    } else {
      const doomed = new Set(eventIds)
      record.events = record.events.filter((event) => !doomed.has(event.id))
    }
    return before - record.events.length
  }

  async expire(taskId: string, seconds: number): Promise<void> {
    const record = this.records.get(taskId)
    if (!record) return
    if (record.expiry !== undefined) this.clock.clearTimeout(record.expiry)
    record.expiry = this.clock.setTimeout(() => {
      if (this.records.get(taskId) === record) this.forget(record)
    }, seconds * 1000)
  }

  async dueDeadlines(now: number, max: number): Promise<string[]> {
    const due: string[] = []
    for (const [taskId, at] of this.deadlines) {
      if (due.length >= max) break
      if (at <= now) due.push(taskId)
    }
    return due
  }

  async clearDeadline(taskId: string): Promise<void> {
    this.deadlines.delete(taskId)
  }

  async outboxAdd(taskId: string, at: number): Promise<void> {
    if (!this.outbox.has(taskId)) this.outbox.set(taskId, at)
  }

  async outboxTouch(taskIds: readonly string[], at: number): Promise<void> {
    for (const taskId of taskIds) if (this.outbox.has(taskId)) this.outbox.set(taskId, at)
  }

  async outboxList(until: number, limit: number, offset = 0): Promise<OutboxEntry[]> {
    if (limit <= 0) return []
    const entries: OutboxEntry[] = []
    for (const [taskId, touchedAt] of this.outbox) if (touchedAt <= until) entries.push({ taskId, touchedAt })
    entries.sort((a, b) => a.touchedAt - b.touchedAt || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0))
    return entries.slice(offset, offset + limit)
  }

  async outboxClaim(taskId: string, seenAt: number, at: number): Promise<boolean> {
    if (this.outbox.get(taskId) !== seenAt) return false
    this.outbox.set(taskId, at)
    return true
  }

  async outboxRemove(taskId: string): Promise<void> {
    this.outbox.delete(taskId)
  }

  async listTasks(query: TaskIndexQuery): Promise<TaskIndexPage> {
    const tasks: Task[] = []
    const next = this.index.walk(query, (key) => {
      const task = this.records.get(taskIdOfKey(key))?.task
      if (task && matchesTaskQuery(task, query)) tasks.push(structuredClone(task))
      return tasks.length < query.limit
    })
    return { tasks, next }
  }

  async ping(): Promise<void> {}

  private forget(record: TaskRecord): void {
    this.records.delete(record.task.id)
    this.index.remove(record.task)
  }

  async close(): Promise<void> {
    for (const record of this.records.values()) {
      if (record.expiry !== undefined) this.clock.clearTimeout(record.expiry)
    }
  }

  private requireRunning(record: TaskRecord): void {
    if (record.task.status !== 'running') {
      throw new TaskcastError('TASK_NOT_RUNNING', `task ${record.task.id} is ${record.task.status}, not running`)
    }
  }

  private requireRecord(taskId: string, expect?: AppendExpectation): TaskRecord {
    const record = this.records.get(taskId)
    if (!record) throw taskNotFound(taskId)
    if (expect && record.task.createdAt !== expect.createdAt) throw taskCreatedAgain(taskId)
    return record
  }

  private appendOne(record: TaskRecord, draft: EventDraft): TaskEvent {
    const event = frozenCopy(draft, { data: structuredClone(draft.data), index: record.nextIndex++ })
    const { seriesId, seriesMode } = event
    if (seriesId !== undefined && seriesMode !== undefined && seriesMode !== 'keep-all') {
      let state = record.series.get(seriesId)
      if (!state) record.series.set(seriesId, (state = {}))
      if (seriesMode === 'accumulate') {
        state.value = accumulate(state.value, event.data, event.seriesAccField ?? 'delta')
      } else {
        if (state.latestIndex !== undefined) this.supersede(record, state.latestIndex)
        state.latestIndex = event.index
      }
    }
    record.events.push(event)
    return event
  }

  private supersede(record: TaskRecord, index: number): void {
    const at = lowerBound(record.events, index)
    const old = record.events[at]
    if (old?.index !== index) return
    record.events[at] = frozenCopy(old, { data: null, superseded: true })
  }

  /** Webhook delivery records per task record: they go with the record (deletion, expiry). */
  private readonly deliveryStates = new WeakMap<TaskRecord, Map<string, MemoryDeliveryState>>()
  /** The index of deliveries that may have work: `taskId|key` → due time (ms). */
  private readonly deliveryIndex = new Map<string, number>()
  private deliveryLeases: DeliveryLeaseStore | undefined

  /** Webhook delivery leases and cursors (see `DeliveryLeaseStore`), for the processes sharing this object. */
  get deliveries(): DeliveryLeaseStore {
    return (this.deliveryLeases ??= this.createDeliveryLeases())
  }

  private createDeliveryLeases(): DeliveryLeaseStore {
    const stateOf = (record: TaskRecord, key: string): MemoryDeliveryState => {
      let states = this.deliveryStates.get(record)
      if (!states) this.deliveryStates.set(record, (states = new Map()))
      let state = states.get(key)
      if (!state) states.set(key, (state = { cursor: -1, filteredCount: 0, done: false, owner: undefined, expiresAt: 0 }))
      return state
    }
    const holds = (state: MemoryDeliveryState, owner: string) => state.owner === owner
    const heldByOther = (state: MemoryDeliveryState, owner: string) =>
      state.owner !== undefined && state.owner !== owner && state.expiresAt > this.clock.now()
    const hasEventsAfter = (record: TaskRecord, cursor: number) => (record.events.at(-1)?.index ?? -1) > cursor
    const moveForward = (state: MemoryDeliveryState, position: DeliveryPosition) => {
      if (position.cursor <= state.cursor) return
      state.cursor = position.cursor
      state.filteredCount = position.filteredCount
    }
    const member = (ref: DeliveryRef) => `${ref.taskId}|${ref.key}`
    return {
      acquire: async (taskId, key, owner, ttlMs): Promise<DeliveryAcquireResult> => {
        const record = this.records.get(taskId)
        if (!record) return { status: 'gone' }
        const state = stateOf(record, key)
        if (heldByOther(state, owner)) return { status: 'held', remainingMs: state.expiresAt - this.clock.now() }
        if (state.done) return { status: 'done' }
        if (!hasEventsAfter(record, state.cursor)) {
          state.owner = undefined
          if (!isTerminalStatus(record.task.status)) return { status: 'idle' }
          state.done = true
          return { status: 'done' }
        }
        state.owner = owner
        state.expiresAt = this.clock.now() + ttlMs
        const { cursor, filteredCount } = state
        return { status: 'acquired', cursor, filteredCount, taskCreatedAt: record.task.createdAt }
      },
      extend: async (taskId, key, owner, ttlMs, position): Promise<DeliveryExtendResult> => {
        const record = this.records.get(taskId)
        if (!record) return 'gone'
        const state = this.deliveryStates.get(record)?.get(key)
        if (!state || !holds(state, owner)) return 'lost'
        state.expiresAt = this.clock.now() + ttlMs
        if (position) moveForward(state, position)
        return 'extended'
      },
      release: async (taskId, key, owner, ttlMs, position, options = {}): Promise<DeliveryReleaseResult> => {
        const record = this.records.get(taskId)
        if (!record) return 'gone'
        const state = this.deliveryStates.get(record)?.get(key)
        if (!state || !holds(state, owner)) return 'lost'
        moveForward(state, position)
        if (!options.force && hasEventsAfter(record, state.cursor)) {
          state.expiresAt = this.clock.now() + ttlMs
          return 'more'
        }
        state.owner = undefined
        if (options.force || !isTerminalStatus(record.task.status)) return 'released'
        state.done = true
        return 'done'
      },
      track: async (refs, at) => {
        for (const ref of refs) if (!this.deliveryIndex.has(member(ref))) this.deliveryIndex.set(member(ref), at)
      },
      claimDue: async (now, until, limit) => {
        const due: DeliveryRef[] = []
        for (const [entry, at] of this.deliveryIndex) {
          if (due.length >= limit) break
          if (at > now) continue
          this.deliveryIndex.set(entry, until)
          const split = entry.indexOf('|')
          due.push({ taskId: entry.slice(0, split), key: entry.slice(split + 1) })
        }
        return due
      },
      schedule: async (ref, at) => {
        if (this.deliveryIndex.has(member(ref))) this.deliveryIndex.set(member(ref), at)
      },
      untrack: async (ref) => {
        this.deliveryIndex.delete(member(ref))
      },
    }
  }
}

/** One (task, webhook) delivery record of the memory store. */
interface MemoryDeliveryState extends DeliveryPosition {
  done: boolean
  owner: string | undefined
  expiresAt: number
}
