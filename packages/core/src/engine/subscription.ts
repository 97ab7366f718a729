// One reader of one task: history first, then live events, with no gap and no duplicate.
//
// Order of work (SPEC §6): subscribe to broadcast first and buffer, read the log, replay it,
// then release buffered events whose index was not replayed. Live messages are only hints:
// when one arrives past the next expected index, the missing range is read from the store.
//
// A subscription follows one incarnation of a task id: once the task is deleted (and perhaps
// created again under the same id), it ends with `onGone` and never delivers the newcomer's
// events. Every read of the store starts one event early and must find the last delivered
// event there; a live event at that position with another id gives the change away; before
// anything was delivered, the task's `createdAt` is compared.
import { taskNotFound } from '../errors.js'
import { toEnvelope } from '../envelope.js'
import { FilteredStream, type FilteredEvent } from '../filtered-stream.js'
import { isTerminalStatus } from '../state-machine.js'
import type { BroadcastProvider } from '../storage/broadcast-provider.js'
import type { EventRange } from '../storage/short-term-store.js'
import type { SeriesFormat, SSEEnvelope, SubscribeFilter, Task, TaskEvent, TaskStatus } from '../types.js'
import { TASK_CREATED_TYPE, TASK_DELETED_TYPE } from '../types.js'
import { PreparedReplay } from './prepared-replay.js'

export interface SubscriptionHandlers {
  /** Called for each event the filter selects, in index order, exactly once. */
  onEnvelope(envelope: SSEEnvelope): void
  /** History is replayed; what follows is live. Not called when the subscription ended during replay. */
  onLive?(): void
  /** The task reached a terminal status; the subscription has ended. */
  onDone?(status: TaskStatus): void
  /** Replay stopped at `limit` before the end of history; the subscription has ended (resume with a cursor). */
  onLimit?(): void
  /** The task does not exist, or a store read failed; the subscription has ended. */
  onError?(error: unknown): void
  /**
   * The task went away while followed: deleted (its id may now name a new task), or no longer
   * in the store (expired, or the store lost it). The subscription has ended.
   */
  onGone?(reason: GoneReason): void
  /**
   * Asked after each replayed envelope: a promise pauses the replay until it settles (the
   * consumer's socket is full). A long log then costs each reader a window, not a copy.
   */
  replayPause?(): Promise<void> | undefined
}

/** Why a followed task went away (see `SubscriptionHandlers.onGone`). */
export type GoneReason = 'deleted' | 'missing'

export interface SubscriptionOptions {
  /** @defaultValue 'delta' */
  seriesFormat?: SeriesFormat
  /** At most this many events in the history replay. */
  limit?: number
  /**
   * Without a `since` cursor, replay each accumulate series as one snapshot.
   * @defaultValue true
   */
  collapseSeries?: boolean
}

/** What a subscription needs from the engine. */
export interface SubscriptionSource {
  broadcast: BroadcastProvider
  /**
   * The task and what a reader with `filter` needs of its log, from whichever store still has
   * it: the whole log, or its end from the reader's cursor (`offset`: the position of `events[0]`).
   */
  loadLog(taskId: string, filter: SubscribeFilter, seriesFormat: SeriesFormat | undefined): Promise<{ task: Task | null; events: TaskEvent[]; offset: number }>
  /** A range of the live log, to fill a gap. */
  readRange(taskId: string, range: EventRange): Promise<TaskEvent[]>
  /** The task as the stores hold it now (concurrent calls for one task may share one read). */
  currentTask(taskId: string): Promise<Task | null>
}

type State = 'replaying' | 'live' | 'filling' | 'closed'

/**
 * Live events held while the replay is under way, at most; past it only the newest is kept,
 * and the ones in between are read back from the store (a paused replay of a busy task would
 * otherwise hold every event published meanwhile).
 */
const MAX_BUFFERED_EVENTS = 1000

export class Subscription {
  private state: State = 'replaying'
  private wentLive = false
  /** The broadcast asked for a catch-up while the subscription was busy replaying or filling. */
  private catchUpPending = false
  private buffer: TaskEvent[] = []
  /** `createdAt` of the task this subscription follows, once its log was read. */
  private incarnation: number | undefined
  /** Replaced by the replay's own once the log is read; until then live events only wait in `buffer`. */
  private stream = new FilteredStream()
  private readonly release: () => void

  constructor(
    private readonly source: SubscriptionSource,
    readonly taskId: string,
    private readonly filter: SubscribeFilter,
    private readonly handlers: SubscriptionHandlers,
    private readonly options: SubscriptionOptions,
    private readonly onClosed: (subscription: Subscription) => void,
    prepared?: PreparedReplay,
  ) {
    this.release = source.broadcast.subscribe(
      taskId,
      (event) => this.onLive(event),
      () => this.catchUp(),
    )
    void (prepared ? this.play(prepared, true) : this.replay())
  }

  get closed(): boolean {
    return this.state === 'closed'
  }

  close(): void {
    if (this.closed) return
    this.state = 'closed'
    this.buffer = []
    this.release()
    this.onClosed(this)
  }

  /** Reads the log (after subscribing to the broadcast, so nothing falls between), then plays it. */
  private async replay(): Promise<void> {
    try {
      const { task, events, offset } = await this.source.loadLog(this.taskId, this.filter, this.options.seriesFormat)
      if (this.closed) return
      if (!task) throw taskNotFound(this.taskId)
      await this.play(new PreparedReplay(task, events, this.filter, this.options, offset), false)
    } catch (error) {
      this.fail(error)
    }
  }

  /**
   * Delivers the replay, then goes live. A log read before the broadcast subscription
   * (`readEarly`) may have missed events published in between: they are read from the store
   * before anything live is delivered.
   */
  private async play(prepared: PreparedReplay, readEarly: boolean): Promise<void> {
    try {
      this.incarnation = prepared.task.createdAt
      this.stream = prepared.stream
      for (let next = prepared.next(); next; next = prepared.next()) {
        this.emit(next.item, next.snapshot)
        if (this.closed) return
        const pause = this.handlers.replayPause?.()
        if (pause) {
          await pause
          if (this.closed) return
        }
      }
      if (prepared.truncated) return this.end(() => this.handlers.onLimit?.())
      if (this.stream.doneStatus) return this.finish(this.stream.doneStatus)
      if (isTerminalStatus(prepared.task.status)) return await this.finishTerminal(prepared.task.status)
      this.state = 'filling'
      if (readEarly) {
        const missed = await this.readFrom(this.stream.nextIndex)
        if (!missed) return
        for (const event of missed) {
          if (this.closed) return
          this.deliver(event)
        }
      }
      await this.drain()
    } catch (error) {
      this.fail(error)
    }
  }

  /**
   * The task ended but the log read missed the end (read just before the terminal transition,
   * or the status event was cleaned up): deliver what is left, then announce the end.
   */
  private async finishTerminal(status: TaskStatus): Promise<void> {
    this.buffer = []
    const from = this.stream.nextIndex
    const rest = await this.source.readRange(this.taskId, { fromIndex: Math.max(0, from - 1) })
    // Only what still continues the replayed log (the read may find the log gone, or another task's).
    const continues = from === 0 || (rest[0]?.index === from - 1 && rest[0].id === this.stream.lastId)
    for (const event of continues ? rest : []) {
      if (this.closed) return
      if (event.index >= this.stream.nextIndex) this.deliver(event)
    }
    this.finish(status)
  }

  private onLive(event: TaskEvent): void {
    // Meant for the watchers of every task; it says nothing a subscriber of this task needs.
    if (event.type === TASK_CREATED_TYPE) return
    if (event.type === TASK_DELETED_TYPE) {
      this.gone('deleted')
      return
    }
    if (this.state === 'live') {
      if (event.index < this.stream.nextIndex) {
        // Normally a duplicate; another event where the last delivered one was means a new task.
        if (event.index === this.stream.nextIndex - 1 && event.id !== this.stream.lastId) this.gone('deleted')
        return
      }
      // Nothing delivered yet, so nothing to chain to: the task itself must be the same one.
      if (event.index === this.stream.nextIndex && this.stream.nextIndex > 0) {
        this.deliver(event)
        return
      }
      this.state = 'filling'
      this.buffer.push(event)
      void this.drain().catch((error: unknown) => this.fail(error))
      return
    }
    if (this.state === 'closed') return
    if (this.buffer.length >= MAX_BUFFERED_EVENTS) {
      // Keep the newest: `drain` reads the range before it from the store.
      const newest = this.buffer.reduce((a, b) => (b.index > a.index ? b : a))
      this.buffer = [event.index > newest.index ? event : newest]
      return
    }
    this.buffer.push(event)
  }

  /** Delivers buffered events in index order, reading any missing range from the store. */
  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      if (this.closed) return
      this.buffer.sort((a, b) => a.index - b.index)
      const event = this.buffer.shift()!
      if (event.index < this.stream.nextIndex) continue
      if (event.index > this.stream.nextIndex || this.stream.nextIndex === 0) {
        const missing = await this.readFrom(this.stream.nextIndex, event.index - 1)
        if (!missing) return
        for (const gapEvent of missing) {
          if (this.closed) return
          if (gapEvent.index >= this.stream.nextIndex) this.deliver(gapEvent)
        }
        if (this.closed) return
      }
      this.deliver(event)
    }
    if (this.state !== 'filling') return
    this.state = 'live'
    if (!this.wentLive) {
      this.wentLive = true
      this.handlers.onLive?.()
    }
    if (this.catchUpPending) this.catchUp()
  }

  /**
   * The broadcast may have lost messages (its link was down): read everything after the
   * last delivered index from the store. Without this, a task whose final events were lost
   * would leave its subscribers waiting for an event that shows the gap.
   */
  private catchUp(): void {
    if (this.state !== 'live') {
      if (this.state !== 'closed') this.catchUpPending = true
      return
    }
    this.catchUpPending = false
    this.state = 'filling'
    void (async () => {
      const missing = await this.readFrom(this.stream.nextIndex)
      if (!missing) return
      for (const event of missing) {
        if (this.closed) return
        if (event.index >= this.stream.nextIndex) this.deliver(event)
      }
      await this.drain()
    })().catch((error: unknown) => this.fail(error))
  }

  /**
   * Events of the log from index `from` (to `to`), checked to continue what was delivered: the
   * read starts one event early and must find the last delivered event there, or, before any
   * was delivered, the task must be the one whose log was replayed. Ends the subscription with
   * `onGone` and resolves undefined otherwise.
   */
  private async readFrom(from: number, to?: number): Promise<TaskEvent[] | undefined> {
    if (from === 0) {
      const task = await this.source.currentTask(this.taskId)
      if (this.closed) return undefined
      // Not in the store. A deletion's broadcast (`deleted`, at once) or the registry's second look
      // (`missing`) ends the subscription; until then nothing more is delivered (live events wait
      // in the bounded buffer).
      if (!task) return undefined
      if (task.createdAt !== this.incarnation) return this.gone('deleted')
      return to === undefined || to >= 0 ? this.source.readRange(this.taskId, { fromIndex: 0, toIndex: to }) : []
    }
    const events = await this.source.readRange(this.taskId, { fromIndex: from - 1, toIndex: to })
    if (this.closed) return undefined
    const first = events[0]
    if (first?.index !== from - 1 || first.id !== this.stream.lastId) {
      const task = await this.source.currentTask(this.taskId)
      if (this.closed) return undefined
      // Not in the store: left to the deletion's broadcast or the registry's second look, as above.
      return task ? this.gone('deleted') : undefined
    }
    return events.slice(1)
  }

  /** Ends the subscription when `task` (read from the stores just now) is not the task it follows. */
  checkTask(task: Task | null): void {
    if (this.closed || this.incarnation === undefined) return
    if (!task) this.gone('missing')
    else if (task.createdAt !== this.incarnation) this.gone('deleted')
  }

  /** Ends the subscription because the task it follows went away. */
  gone(reason: GoneReason): undefined {
    this.end(() => this.handlers.onGone?.(reason))
    return undefined
  }

  private deliver(event: TaskEvent): void {
    const item = this.stream.accept(event)
    if (item) this.emit(item, false)
    if (this.stream.doneStatus && !this.closed) this.finish(this.stream.doneStatus)
  }

  private emit(item: FilteredEvent, snapshot: boolean): void {
    try {
      this.handlers.onEnvelope(toEnvelope(item, snapshot))
    } catch (error) {
      this.fail(error)
    }
  }

  private finish(status: TaskStatus): void {
    this.end(() => this.handlers.onDone?.(status))
  }

  private fail(error: unknown): void {
    if (this.closed) return
    this.end(() => this.handlers.onError?.(error))
  }

  private end(notify: () => void): void {
    if (this.closed) return
    this.close()
    notify()
  }
}
