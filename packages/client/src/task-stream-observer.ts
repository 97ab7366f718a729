// A task stream as an external store: the state a UI renders ({ events, isDone, … }) plus
// subscribe/getSnapshot for React's useSyncExternalStore (or any other binding). The stream
// runs while someone listens, and picks up after its last event when listened to again.
//
// Every cost is per event, never per stream length: events go to an append-only log (a
// snapshot copies it out only when its `events` are read), the text of each series asked for
// through `getText` is folded one event at a time, as events arrive, and so are the status and
// the pending question.
import type {
  BlockedRequest,
  SeriesFormat,
  StatusEventData,
  SubscribeFilter,
  TaskcastError,
  TaskStatus,
  TerminalStatus,
} from '@taskcast/core'
import { statusOnlyFilter, toSubscribeSearchParams } from '@taskcast/core/wire'
import { appendSeriesText, type AccumulateTextOptions } from './accumulate-text.js'
import type { TaskEnvelope } from '@taskcast/core/wire'
import { ResumableStream } from './resumable-stream.js'
import type { TaskcastClient } from './taskcast-client.js'

export interface TaskStreamState<TData = unknown> {
  /**
   * Every event received so far, in order. A new array whenever it grows; a snapshot that is
   * never read costs no copy (the array is built on first read, once per snapshot).
   */
  readonly events: readonly TaskEnvelope<TData>[]
  isDone: boolean
  doneReason: TerminalStatus | undefined
  /** The error that ended the stream (it is not retried). */
  error: TaskcastError | undefined
  /** The latest status seen in a `taskcast:status` event or the done frame; unknown before. */
  status: TaskStatus | undefined
  /** While the task is `blocked`: the question it waits on (its status event's `request`). */
  request: BlockedRequest | undefined
}

export interface TaskStreamObserverOptions {
  /** Compared by value (by the request it makes): an equal new object keeps the stream. */
  filter?: SubscribeFilter
  /** @defaultValue 'delta' */
  seriesFormat?: SeriesFormat
  /** `false` keeps the observer idle: no connection, idle state. @defaultValue true */
  enabled?: boolean
}

/** What a UI shows, without the events (they live in the log). */
type Fields = Omit<TaskStreamState, 'events'>

/** Changes made since the last notification. */
interface Draft<TData> {
  events: TaskEnvelope<TData>[]
  patch: Partial<Fields>
}

/** The stream the options ask for, and the status-only one beside it when that one lacks statuses. */
interface ObserverStreams<TData> {
  main: ResumableStream<TData>
  statuses: ResumableStream<StatusEventData> | undefined
}

/** The running text of one series, folded one event at a time. */
interface TextFold {
  readonly seriesId: string
  readonly options: AccumulateTextOptions
  text: string
}

/** The state of a stream that has not received anything (also what an idle UI shows). */
export const idleTaskStreamState: TaskStreamState<never> = Object.freeze({
  events: Object.freeze([]) as readonly never[],
  isDone: false,
  doneReason: undefined,
  error: undefined,
  status: undefined,
  request: undefined,
})

const idleFields: Fields = {
  isDone: false,
  doneReason: undefined,
  error: undefined,
  status: undefined,
  request: undefined,
}

/** The first `length` events of a log that only ever grows, as an array built on demand. */
interface LogPrefix<TData> {
  readonly log: readonly TaskEnvelope<TData>[]
  readonly length: number
  array?: readonly TaskEnvelope<TData>[]
}

/**
 * A snapshot whose `events` are copied out of the log when first read: a binding that only
 * reads text never copies, and snapshots of the same events share one array.
 */
function snapshotOf<TData>(prefix: LogPrefix<TData>, fields: Fields): TaskStreamState<TData> {
  return {
    get events() {
      return (prefix.array ??= prefix.log.slice(0, prefix.length))
    },
    ...fields,
  }
}

/**
 * @example
 * const observer = new TaskStreamObserver(client, taskId, { filter: { types: ['llm.*'] } })
 * const stop = observer.subscribe(() => render(observer.getSnapshot(), observer.getText('response')))
 * // later: observer.setOptions(client, otherTaskId), or stop()
 */
export class TaskStreamObserver<TData = unknown> {
  private state: TaskStreamState<TData> = idleTaskStreamState
  private fields: Fields = idleFields
  private readonly listeners = new Set<() => void>()
  private client: TaskcastClient
  private taskId: string | null | undefined
  private options: TaskStreamObserverOptions
  /** Which stream the options name (task and request); undefined when idle. */
  private key: string | undefined
  /** Bumped whenever the stream is replaced: callbacks of an older one are ignored. */
  private generation = 0
  private streams: ObserverStreams<TData> | undefined
  /** Every event of the current stream that listeners have been told about, in order. */
  private log: TaskEnvelope<TData>[] = []
  private prefix: LogPrefix<TData> = { log: this.log, length: 0 }
  private readonly folds = new Map<string, TextFold>()
  private stopTimer: ReturnType<typeof setTimeout> | undefined
  // Folded into one new state per microtask, so a replay of thousands of events arriving in
  // one chunk renders once, not thousands of times.
  private draft: Draft<TData> | undefined

  /** Nothing starts until the first `subscribe`. A null or undefined `taskId` is idle. */
  constructor(client: TaskcastClient, taskId: string | null | undefined, options: TaskStreamObserverOptions = {}) {
    this.client = client
    this.taskId = taskId
    this.options = options
    this.key = streamKey(taskId, options)
  }

  /**
   * Points the observer at another stream, taking the constructor's arguments. The same
   * client, task and request (the filter compared by value) change nothing; anything else
   * closes the current stream, resets the state and the texts to empty (listeners are told)
   * and, when someone listens, opens the new stream.
   */
  setOptions(client: TaskcastClient, taskId: string | null | undefined, options: TaskStreamObserverOptions = {}): void {
    if (this.matches(client, taskId, options)) return
    this.stop()
    clearTimeout(this.stopTimer)
    this.stopTimer = undefined
    this.client = client
    this.taskId = taskId
    this.options = options
    this.key = streamKey(taskId, options)
    this.generation += 1
    this.log = []
    this.prefix = { log: this.log, length: 0 }
    this.folds.clear()
    this.streams = undefined
    this.draft = undefined
    const changed = this.state !== idleTaskStreamState
    this.state = idleTaskStreamState
    this.fields = idleFields
    if (this.listeners.size > 0) this.start()
    if (changed) this.notify()
  }

  /** Whether `setOptions` with these arguments would keep the current stream. */
  matches(client: TaskcastClient, taskId: string | null | undefined, options: TaskStreamObserverOptions = {}): boolean {
    return client === this.client && streamKey(taskId, options) === this.key
  }

  /**
   * Adds a listener, starting the stream for the first one. When the last one leaves the
   * stream stops one macrotask later, unless a listener came back in between: React
   * StrictMode's unsubscribe-resubscribe then keeps the single connection it opened.
   */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    clearTimeout(this.stopTimer)
    this.stopTimer = undefined
    this.start()
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return
      clearTimeout(this.stopTimer)
      this.stopTimer = setTimeout(() => {
        this.stopTimer = undefined
        if (this.listeners.size === 0) this.stop()
      }, 0)
    }
  }

  readonly getSnapshot = (): TaskStreamState<TData> => this.state

  /**
   * The accumulated text of `seriesId` in the current snapshot (see `appendSeriesText`;
   * expects `seriesFormat: 'delta'`). The first call for a series and `field` folds the events
   * received so far, once; from then on each new event is appended as it arrives. The fold
   * is kept until the stream is replaced. Returns a string, so a binding comparing snapshots
   * by value only re-renders when the text changed.
   */
  getText(seriesId: string, options: AccumulateTextOptions = {}): string {
    const id = JSON.stringify([seriesId, options.field])
    let fold = this.folds.get(id)
    if (!fold) {
      fold = { seriesId, options: options.field === undefined ? {} : { field: options.field }, text: '' }
      for (const envelope of this.log) fold.text = appendSeriesText(fold.text, envelope, seriesId, fold.options)
      this.folds.set(id, fold)
    }
    return fold.text
  }

  private start(): void {
    if (this.key === undefined || this.taskId == null) return
    this.streams ??= this.openStreams()
    this.streams.main.start(this.client, this.taskId)
    this.streams.statuses?.start(this.client, this.taskId)
  }

  /**
   * The streams of the current options. `status` and `request` come from status events: when the
   * filter leaves them out (`includeStatus: false`), a second, status-only stream brings them.
   * The done frame ends both: the task's status is then final, and nothing is pending.
   */
  private openStreams(): ObserverStreams<TData> {
    const generation = this.generation
    const current = (): boolean => generation === this.generation
    const { filter, seriesFormat } = this.options
    const apart = filter?.includeStatus === false
    const onError = (error: TaskcastError): void => {
      if (!current()) return
      this.streams?.main.close()
      this.streams?.statuses?.close()
      this.change((draft) => (draft.patch.error = error))
    }
    const onStatus = (status: TaskStatus, envelope: TaskEnvelope<StatusEventData>): void => {
      if (!current()) return
      // A question lasts until the next status event: the blocked one carries it, the next clears it.
      const request = status === 'blocked' ? envelope.data.request : undefined
      this.change((draft) => Object.assign(draft.patch, { status, request }))
    }
    const main = new ResumableStream<TData>(filter, seriesFormat, {
      onEvent: (envelope) => current() && this.change((draft) => draft.events.push(envelope)),
      ...(!apart && { onStatus }),
      onDone: (reason) => {
        if (!current()) return
        this.streams?.statuses?.close()
        this.change((draft) =>
          Object.assign(draft.patch, { isDone: true, doneReason: reason, status: reason, request: undefined }),
        )
      },
      onError,
    })
    const statuses = apart ? new ResumableStream<StatusEventData>(statusOnlyFilter(), undefined, { onStatus, onError }) : undefined
    return { main, statuses }
  }

  private stop(): void {
    this.streams?.main.stop()
    this.streams?.statuses?.stop()
  }

  private change(edit: (draft: Draft<TData>) => void): void {
    if (!this.draft) {
      const draft: Draft<TData> = { events: [], patch: {} }
      this.draft = draft
      // A draft dropped by setOptions is not flushed, even if a newer one exists by then.
      queueMicrotask(() => this.draft === draft && this.flush())
    }
    edit(this.draft)
  }

  /** Publishes the draft: one new snapshot and one notification for everything in it. */
  private flush(): void {
    const draft = this.draft
    this.draft = undefined
    if (!draft) return
    for (const envelope of draft.events) {
      this.log.push(envelope)
      for (const fold of this.folds.values()) {
        fold.text = appendSeriesText(fold.text, envelope, fold.seriesId, fold.options)
      }
    }
    if (this.prefix.length !== this.log.length) this.prefix = { log: this.log, length: this.log.length }
    this.fields = { ...this.fields, ...draft.patch }
    this.state = snapshotOf(this.prefix, this.fields)
    this.notify()
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }
}

/**
 * Which stream `taskId` and `options` name: the task and the query string the subscription
 * would send (the wire codec decides what is equal), or undefined for an idle observer.
 */
function streamKey(taskId: string | null | undefined, options: TaskStreamObserverOptions): string | undefined {
  if (taskId == null || options.enabled === false) return undefined
  const { wrap: _ignored, ...filter } = options.filter ?? {}
  const query = toSubscribeSearchParams({
    filter,
    ...(options.seriesFormat !== undefined && { seriesFormat: options.seriesFormat }),
  })
  return `${taskId}?${query.toString()}`
}
