// Copies tasks and events to the long-term store in the background: batched, compacted,
// retried with backoff, never dropped while the process lives, flushed on stop(). With a
// short-term store that keeps an archive outbox (`ShortTermStore.outboxAdd` and the rest),
// what is not archived yet also outlives the process: a sweep, at start and then
// periodically, takes over the tasks of writers that stopped or died, reads them back from
// the short-term store and archives them again (long-term writes are idempotent upserts).
import type { Clock, TimerHandle } from '../clock.js'
import { TaskcastError } from '../errors.js'
import type { HookErrorContext } from '../hooks.js'
import { isTerminalStatus } from '../state-machine.js'
import type { LongTermStore } from '../storage/long-term-store.js'
import type { OutboxEntry, ShortTermStore } from '../storage/short-term-store.js'
import { STATUS_EVENT_TYPE, type Task, type TaskEvent, type TaskStatus } from '../types.js'

export interface LongTermWriterOptions {
  /** Most events written in one call to `saveEvents`. @defaultValue 500 */
  batchSize?: number
  /** Delay between the first queued write and the flush, to gather a batch. @defaultValue 20 */
  flushDelayMs?: number
  /** First retry delay after a failed write; doubles up to `maxRetryDelayMs`. @defaultValue 100 */
  retryDelayMs?: number
  /** @defaultValue 5000 */
  maxRetryDelayMs?: number
  /**
   * How often to sweep the short-term store's archive outbox for tasks whose writer stopped
   * or died; the first sweep runs at start. Only with a store that keeps an outbox.
   * @defaultValue 10000
   */
  sweepIntervalMs?: number
  /**
   * An unfinished task whose outbox entry nobody touched for this long is taken over: its
   * writer is deemed gone. A live writer touches what it holds on every flush attempt (at
   * least every `maxRetryDelayMs`, plus however long a failing write takes), so keep this
   * well above that; taking over a live writer's task only costs a redundant rewrite.
   * Finished tasks are taken over by the first sweep whatever their age.
   * @defaultValue 30000
   */
  staleMs?: number
}

const DEFAULTS: Required<LongTermWriterOptions> = {
  batchSize: 500,
  flushDelayMs: 20,
  retryDelayMs: 100,
  maxRetryDelayMs: 5000,
  sweepIntervalMs: 10_000,
  staleMs: 30_000,
}

/** Outbox entries read per call, and the most a sweep looks at. */
const SWEEP_PAGE = 100
const SWEEP_MAX_ENTRIES = 10_000
/** Tasks remembered per map before idle ones are forgotten (forgetting only costs a rewrite). */
const MAX_REMEMBERED = 10_000
const FORGET_MARGIN = 1000
/** Tasks named in the report of what `stop()` left unarchived. */
const MAX_NAMED = 20

/** What this writer knows about one task's way to the archive (only with an outbox). */
interface Progress {
  /** Events of the task queued or being written. */
  queued: number
  /** Snapshots of the task queued or being written (0 or 1, 2 while a newer one waits). */
  snapshots: number
  /** Events of the task this writer wrote, each counted once unless `mixed`. */
  written: number
  /** Index of the task's terminal status event, once this writer got it. */
  endIndex?: number
  /** A terminal snapshot of the task was written. */
  endWritten: boolean
  /** Events read back from the short-term store went through here too: `written` proves nothing. */
  mixed: boolean
  /** A read-back of the task is on its way to the archive. */
  recovery?: ReadBack
}

/** A task read back from the short-term store: everything up to `through` is queued. */
interface ReadBack {
  finished: boolean
  status: TaskStatus
  through: number
  updatedAt: number
}

export class LongTermWriter {
  private readonly options: Required<LongTermWriterOptions>
  /** Whether the short-term store keeps an archive outbox (all its members). */
  private readonly outbox: boolean
  private tasks = new Map<string, Task>()
  private events: TaskEvent[] = []
  /** The batch being written: still pending, and put back in front if the write fails. */
  private inFlight: { tasks: Task[]; events: TaskEvent[] } | undefined
  private readonly progress = new Map<string, Progress>()
  /** Size of `progress` past which idle tasks are forgotten. */
  private forgetAbove = MAX_REMEMBERED
  /** Unfinished tasks this writer read back and archived, through which index, at which updatedAt. */
  private readonly readBackDone = new Map<string, { through: number; updatedAt: number }>()
  /** Tasks being read back from the short-term store (a deletion meanwhile removes them). */
  private readonly reading = new Set<string>()
  private timer: TimerHandle | undefined
  private sweepTimer: TimerHandle | undefined
  private sweeping: Promise<void> | undefined
  private wake: (() => void) | undefined
  private flushing: Promise<void> | undefined
  private failures = 0
  private stopped = false

  constructor(
    private readonly store: LongTermStore,
    private readonly shortTerm: ShortTermStore,
    private readonly clock: Clock,
    private readonly reportError: (error: unknown, context: HookErrorContext) => void,
    options: LongTermWriterOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options }
    const s = shortTerm
    this.outbox = !!(s.outboxAdd && s.outboxTouch && s.outboxList && s.outboxClaim && s.outboxRemove)
    if (this.outbox) this.scheduleSweep(0, true)
  }

  /** Writes waiting to be flushed or being flushed (tasks + events). */
  get pending(): number {
    const inFlight = this.inFlight ? this.inFlight.tasks.length + this.inFlight.events.length : 0
    return this.tasks.size + this.events.length + inFlight
  }

  /** Puts a task in the archive outbox; the engine calls it before the task is created. */
  async beforeCreate(taskId: string): Promise<void> {
    if (this.outbox) await this.shortTerm.outboxAdd!(taskId, this.clock.now())
  }

  saveTask(task: Task): void {
    const progress = this.track(task.id)
    if (progress && !this.tasks.has(task.id)) progress.snapshots++
    this.tasks.set(task.id, task)
    this.schedule(this.options.flushDelayMs)
  }

  saveEvents(events: readonly TaskEvent[]): void {
    let progress: Progress | undefined
    let taskId: string | undefined
    for (const event of events) {
      this.events.push(event)
      if (!this.outbox) continue
      if (progress === undefined || taskId !== event.taskId) progress = this.track((taskId = event.taskId))!
      progress.queued++
      if (isTerminalStatusEvent(event)) progress.endIndex = event.index
    }
    this.schedule(this.options.flushDelayMs)
  }

  /** Forgets queued writes of a deleted task, so a late flush does not bring it back. */
  discardTask(taskId: string): void {
    this.tasks.delete(taskId)
    this.events = this.events.filter((event) => event.taskId !== taskId)
    this.progress.delete(taskId)
    this.readBackDone.delete(taskId)
    this.reading.delete(taskId)
  }

  /** Takes a deleted task out of the archive outbox (best effort: a sweep drops a stray entry). */
  async taskDeleted(taskId: string): Promise<void> {
    if (this.outbox) await this.shortTerm.outboxRemove!(taskId).catch(() => undefined)
  }

  /**
   * Flushes everything queued; gives up after `timeoutMs`, reporting which tasks and how
   * many of their events are left unwritten. With a durable outbox they stay there, marked
   * for the next sweep of any process.
   */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    if (this.sweepTimer !== undefined) this.clock.clearTimeout(this.sweepTimer)
    this.timer = undefined
    this.sweepTimer = undefined
    this.wake?.()
    const deadline = Date.now() + timeoutMs
    if (this.sweeping) await Promise.race([this.sweeping, sleep(deadline - Date.now())])
    while (this.pending > 0 || this.flushing) {
      if (Date.now() >= deadline) {
        await this.giveUp()
        return
      }
      // A write that never answers (a dead connection) must not hold stop() past its deadline.
      const flushed = this.flushing ?? this.flushOnce().catch(() => sleep(Math.min(this.retryDelay(), deadline - Date.now())))
      await Promise.race([flushed, sleep(deadline - Date.now())])
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.flushing || this.stopped) return
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      void this.flushLoop()
    }, delayMs)
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending > 0 && !this.stopped) await this.flushOnce()
      this.failures = 0
    } catch {
      this.schedule(this.retryDelay())
    }
  }

  private retryDelay(): number {
    return Math.min(this.options.retryDelayMs * 2 ** Math.max(0, this.failures - 1), this.options.maxRetryDelayMs)
  }

  private flushOnce(): Promise<void> {
    const tasks = [...this.tasks.values()]
    this.tasks.clear()
    const events = this.events.splice(0, this.options.batchSize)
    this.inFlight = { tasks, events }
    this.touch(tasks, events)
    const run = this.write(tasks, events).then(
      () => {
        this.inFlight = undefined
        this.failures = 0
        this.written(tasks, events)
      },
      (error: unknown) => {
        this.inFlight = undefined
        // Put the batch back in front so order is kept; newer task snapshots win.
        for (const task of tasks) {
          if (!this.tasks.has(task.id)) this.tasks.set(task.id, task)
          else this.untrackSnapshot(task.id)
        }
        this.events = events.concat(this.events)
        this.failures++
        if (this.failures === 1) this.reportError(error, { source: 'long-term-writer' })
        throw error
      },
    )
    this.flushing = run
      .finally(() => {
        this.flushing = undefined
      })
      .catch(() => {})
    return run
  }

  private async write(tasks: Task[], events: TaskEvent[]): Promise<void> {
    // Tasks first: an event row may refer to its task.
    for (const task of tasks) await this.store.saveTask(task)
    if (events.length > 0) await this.store.saveEvents(await this.compact(events))
  }

  /** Per accumulate or latest series, the newest event (carrying the running value) and a data-less place for each other one. */
  private async compact(events: TaskEvent[]): Promise<TaskEvent[]> {
    const lastOfSeries = new Map<string, number>()
    events.forEach((event, at) => {
      if (event.seriesId !== undefined && (event.seriesMode === 'accumulate' || event.seriesMode === 'latest')) {
        lastOfSeries.set(`${event.taskId}\u0000${event.seriesId}`, at)
      }
    })
    if (lastOfSeries.size === 0) return events
    const out: TaskEvent[] = []
    for (const [at, event] of events.entries()) {
      const key = `${event.taskId}\u0000${event.seriesId}`
      const last = lastOfSeries.get(key)
      if (last === undefined) out.push(event)
      else if (last === at) {
        if (event.seriesMode !== 'accumulate') out.push(event)
        else {
          const running = await this.shortTerm.getSeriesValue(event.taskId, event.seriesId!)
          out.push(running === undefined ? event : { ...event, data: running })
        }
      } else {
        // Its data is in the newest one; its place still counts in every reader's filteredIndex.
        out.push({ ...event, data: null, superseded: true })
      }
    }
    return out
  }

  // ---- The archive outbox -------------------------------------------------------------

  /** The progress record of a task (created, and moved to the end of the LRU order); none without an outbox. */
  private track(taskId: string): Progress | undefined {
    if (!this.outbox) return undefined
    let progress = this.progress.get(taskId)
    if (progress) this.progress.delete(taskId)
    else progress = { queued: 0, snapshots: 0, written: 0, endWritten: false, mixed: false }
    this.progress.set(taskId, progress)
    if (this.progress.size > this.forgetAbove) this.forgetIdle()
    return progress
  }

  /**
   * Forgets the least recently active tasks with nothing in hand, down to a margin below
   * {@link MAX_REMEMBERED} so that this runs once per many new tasks. A forgotten task only
   * loses its count of written events, so its end is checked by reading it back.
   */
  private forgetIdle(): void {
    const target = MAX_REMEMBERED - FORGET_MARGIN
    for (const [taskId, progress] of this.progress) {
      if (this.progress.size <= target) break
      if (progress.queued === 0 && progress.snapshots === 0 && !progress.recovery) this.progress.delete(taskId)
    }
    // Everything still known is in hand: look again only after many more.
    this.forgetAbove = Math.max(MAX_REMEMBERED, this.progress.size + FORGET_MARGIN)
  }

  /** One snapshot of the task is no longer in hand (written, or replaced by a newer one). */
  private untrackSnapshot(taskId: string): Progress | undefined {
    const progress = this.progress.get(taskId)
    if (progress && progress.snapshots > 0) progress.snapshots--
    return progress
  }

  /** Tells other processes that a live writer holds these tasks' writes (one call per flush). */
  private touch(tasks: Task[], events: TaskEvent[]): void {
    if (!this.outbox) return
    const ids = new Set<string>()
    for (const task of tasks) ids.add(task.id)
    for (const event of events) ids.add(event.taskId)
    if (ids.size > 0) this.shortTerm.outboxTouch!([...ids], this.clock.now()).catch(() => undefined)
  }

  /** After a successful write: counts it, and takes finished tasks out of the outbox. */
  private written(tasks: Task[], events: TaskEvent[]): void {
    if (!this.outbox) return
    const touched = new Set<string>()
    for (const task of tasks) {
      const progress = this.untrackSnapshot(task.id)
      if (!progress) continue
      if (isTerminalStatus(task.status)) progress.endWritten = true
      touched.add(task.id)
    }
    for (const event of events) {
      const progress = this.progress.get(event.taskId)
      if (!progress) continue
      if (progress.queued > 0) progress.queued--
      progress.written++
      touched.add(event.taskId)
    }
    for (const taskId of touched) this.review(taskId)
  }

  /** Decides, once nothing of the task is in hand, whether the archive now holds all of it. */
  private review(taskId: string): void {
    const progress = this.progress.get(taskId)
    if (!progress || progress.queued > 0 || progress.snapshots > 0) return
    const recovery = progress.recovery
    if (recovery) {
      progress.recovery = undefined
      if (recovery.finished) this.finish(taskId)
      else {
        // Not this writer's to watch any more: the next sweep past `staleMs` reads on from here.
        this.progress.delete(taskId)
        remember(this.readBackDone, taskId, { through: recovery.through, updatedAt: recovery.updatedAt })
        void this.recheck(taskId, recovery.status)
      }
      return
    }
    if (!progress.endWritten || progress.endIndex === undefined) return
    // Every index from 0 to the terminal status event went through this writer: all archived.
    if (!progress.mixed && progress.written === progress.endIndex + 1) this.finish(taskId)
    // Other processes published some of it (and may have died before archiving it): read it back.
    else void this.readBack(taskId)
  }

  /** The archive holds the task's terminal state and whole log: out of the outbox. */
  private finish(taskId: string): void {
    this.progress.delete(taskId)
    this.readBackDone.delete(taskId)
    this.shortTerm.outboxRemove!(taskId).catch(() => undefined)
  }

  /**
   * After archiving an unfinished task read back from the short-term store: its writer may
   * be alive after all and have moved it on (to its end, say), with that newer snapshot
   * archived before the one read here. Reading the task once more after the write, and
   * archiving it again if its status changed, makes sure the archive ends with the newer one.
   */
  private async recheck(taskId: string, status: TaskStatus): Promise<void> {
    try {
      const task = await this.shortTerm.getTask(taskId)
      if (task && task.status !== status) await this.readBack(taskId)
    } catch (error) {
      this.reportError(error, { source: 'long-term-writer', taskId })
    }
  }

  /**
   * Reads a task back from the short-term store and queues it (the task, then its log, or
   * only what came after an earlier read-back of this writer) through the usual path, so
   * series are compacted as always. `review` finishes it once written.
   */
  private async readBack(taskId: string): Promise<void> {
    if (this.reading.has(taskId) || this.stopped) return
    this.reading.add(taskId)
    try {
      // The task before its log: once a task is finished its log is final, so a finished
      // task read first comes with every event it will ever have.
      const task = await this.shortTerm.getTask(taskId)
      if (!this.reading.has(taskId)) return
      if (!task) {
        // Deleted, expired or cleaned up: nothing is left to archive.
        this.finish(taskId)
        return
      }
      const finished = isTerminalStatus(task.status)
      const before = this.readBackDone.get(taskId)
      const events = await this.shortTerm.getEvents(taskId, before ? { fromIndex: before.through + 1 } : undefined)
      if (!this.reading.has(taskId)) return
      if (before && !finished && events.length === 0 && task.updatedAt === before.updatedAt) return
      const progress = this.track(taskId)!
      progress.mixed = true
      progress.recovery = {
        finished,
        status: task.status,
        through: events.length > 0 ? events[events.length - 1]!.index : (before?.through ?? -1),
        updatedAt: task.updatedAt,
      }
      const queued = this.tasks.get(taskId)
      if (!queued || !isNewer(queued, task)) this.saveTask(task)
      this.saveEvents(events)
    } catch (error) {
      // The outbox entry stays, and this writer lets go of the task: a later sweep tries again.
      const progress = this.progress.get(taskId)
      if (progress && progress.queued === 0 && progress.snapshots === 0 && !progress.recovery) this.progress.delete(taskId)
      this.reportError(error, { source: 'long-term-writer', taskId })
    } finally {
      this.reading.delete(taskId)
    }
  }

  private scheduleSweep(delayMs: number, first: boolean): void {
    if (this.stopped) return
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = undefined
      let done = false
      this.sweeping = this.sweep(first)
        .then(
          () => {
            done = true
          },
          (error: unknown) => this.reportError(error, { source: 'long-term-writer' }),
        )
        .finally(() => {
          this.sweeping = undefined
          // Until a first sweep got through, finished tasks are still taken whatever their age.
          this.scheduleSweep(this.options.sweepIntervalMs, first && !done)
        })
    }, delayMs)
  }

  /**
   * Takes over outbox entries: on the first sweep every finished task and every stale one,
   * afterwards only stale ones. Entries are claimed one at a time, and only while the
   * queue has room, so a sweep while the archive is down holds little.
   */
  private async sweep(first: boolean): Promise<void> {
    const now = this.clock.now()
    const until = first ? now : now - this.options.staleMs
    const seen = new Set<string>()
    let offset = 0
    while (seen.size < SWEEP_MAX_ENTRIES) {
      const entries = await this.shortTerm.outboxList!(until, SWEEP_PAGE, offset)
      for (const entry of entries) {
        await this.roomToReadBack()
        if (this.stopped) return
        if (seen.has(entry.taskId) || !(await this.take(entry, now))) offset++
        seen.add(entry.taskId)
      }
      if (entries.length < SWEEP_PAGE) return
    }
  }

  /** Claims and reads back one entry if it is due. Resolves whether the entry left the listing. */
  private async take(entry: OutboxEntry, now: number): Promise<boolean> {
    const { taskId, touchedAt } = entry
    // This writer holds the task's writes itself; its flushes touch the entry.
    if (this.progress.has(taskId) || this.reading.has(taskId)) return false
    const stale = touchedAt <= now - this.options.staleMs
    const task = await this.shortTerm.getTask(taskId)
    if (!task) {
      // Nothing left to archive. Not before it is stale: its creator may be between adding
      // the entry and creating the task.
      if (!stale || !(await this.shortTerm.outboxClaim!(taskId, touchedAt, this.clock.now()))) return false
      await this.shortTerm.outboxRemove!(taskId)
      return true
    }
    if (!stale && !isTerminalStatus(task.status)) return false
    if (!(await this.shortTerm.outboxClaim!(taskId, touchedAt, this.clock.now()))) return false
    await this.readBack(taskId)
    return true
  }

  /** Waits while the queue holds a few batches already (the archive is slow or down). */
  private async roomToReadBack(): Promise<void> {
    while (!this.stopped && this.events.length >= this.options.batchSize * 4) {
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(resolve, Math.max(this.options.flushDelayMs, this.retryDelay()))
        this.wake = () => {
          this.clock.clearTimeout(timer)
          resolve()
        }
      })
      this.wake = undefined
    }
  }

  /** `stop()` ran out of time: say what was not archived, and hand it to the next sweep. */
  private async giveUp(): Promise<void> {
    const left = new Map<string, { events: number; task: boolean }>()
    const entry = (taskId: string) => {
      let found = left.get(taskId)
      if (!found) left.set(taskId, (found = { events: 0, task: false }))
      return found
    }
    const batches = [{ tasks: [...this.tasks.values()], events: this.events }]
    if (this.inFlight) batches.unshift(this.inFlight)
    for (const batch of batches) {
      for (const task of batch.tasks) entry(task.id).task = true
      for (const event of batch.events) entry(event.taskId).events++
    }
    const events = [...left.values()].reduce((sum, item) => sum + item.events, 0)
    const named = [...left].slice(0, MAX_NAMED).map(([taskId, item]) => {
      const parts = [`${item.events} event${item.events === 1 ? '' : 's'}`, ...(item.task ? ['task'] : [])]
      return `${taskId} (${parts.join(', ')})`
    })
    if (left.size > MAX_NAMED) named.push(`and ${left.size - MAX_NAMED} more`)
    const durable = this.outbox && this.shortTerm.outboxDurable === true
    const fate = durable
      ? 'they stay in the short-term store’s archive outbox, and the next process on that store archives them'
      : this.outbox
        ? 'they are lost when this process ends: the short-term store keeps its archive outbox in memory'
        : 'they are lost: the short-term store keeps no archive outbox'
    const tasks = `${left.size} task${left.size === 1 ? '' : 's'}`
    const message = `long-term store: ${tasks} with ${events} events not archived before stop: ${named.join(', ')}; ${fate}`
    this.reportError(
      new TaskcastError('STORE_UNAVAILABLE', message, {
        details: { durable, unarchived: [...left].map(([taskId, item]) => ({ taskId, ...item })) },
      }),
      { source: 'long-term-writer' },
    )
    // Marked as untouched since forever: every sweep, of any process, takes them at once.
    if (this.outbox) await this.shortTerm.outboxTouch!([...left.keys()], 0).catch(() => undefined)
  }
}

function isTerminalStatusEvent(event: TaskEvent): boolean {
  if (event.type !== STATUS_EVENT_TYPE) return false
  const status = (event.data as { status?: unknown } | null)?.status
  return typeof status === 'string' && isTerminalStatus(status as TaskStatus)
}

/** Whether snapshot `a` is later than `b` of the same task: a finished one always is. */
function isNewer(a: Task, b: Task): boolean {
  const aEnded = isTerminalStatus(a.status)
  if (aEnded !== isTerminalStatus(b.status)) return aEnded
  return a.updatedAt > b.updatedAt
}

/** `map.set` that forgets the oldest entries past {@link MAX_REMEMBERED}. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value!)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = globalThis.setTimeout(resolve, Math.max(0, ms)) as unknown as { unref?: () => void }
    timer.unref?.()
  })
}
