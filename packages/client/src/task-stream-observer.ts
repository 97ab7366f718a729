// A task stream as an external store: the state a UI renders ({ events, isDone, … }) plus
// subscribe/getSnapshot for React's useSyncExternalStore (or any other binding). The stream
// runs while someone listens, and picks up after its last event when listened to again.
import type {
  SeriesFormat,
  SubscribeFilter,
  TaskcastError,
  TaskStatus,
  TerminalStatus,
} from '@taskcast/core'
import type { TaskEnvelope, TaskSubscription } from './subscription.js'
import type { TaskcastClient } from './taskcast-client.js'

export interface TaskStreamState<TData = unknown> {
  /** Every event received so far, in order. A new array whenever it grows. */
  events: readonly TaskEnvelope<TData>[]
  isDone: boolean
  doneReason: TerminalStatus | undefined
  /** The error that ended the stream (it is not retried). */
  error: TaskcastError | undefined
  /** The latest status seen in a `taskcast:status` event or the done frame; unknown before. */
  status: TaskStatus | undefined
}

export interface TaskStreamObserverOptions {
  filter?: SubscribeFilter
  /** @defaultValue 'delta' */
  seriesFormat?: SeriesFormat
}

/** Changes made since the last notification. */
interface Draft<TData> {
  events: TaskEnvelope<TData>[]
  patch: Partial<TaskStreamState<TData>>
}

/** The state of a stream that has not received anything (also what an idle UI shows). */
export const idleTaskStreamState: TaskStreamState<never> = Object.freeze({
  events: Object.freeze([]) as readonly never[],
  isDone: false,
  doneReason: undefined,
  error: undefined,
  status: undefined,
})

export class TaskStreamObserver<TData = unknown> {
  private state: TaskStreamState<TData> = idleTaskStreamState
  private readonly listeners = new Set<() => void>()
  private subscription: TaskSubscription | undefined
  private lastEventId: string | undefined
  private finished = false
  private stopTimer: ReturnType<typeof setTimeout> | undefined
  // Folded into one new state per microtask, so a replay of thousands of events arriving in
  // one chunk renders once, not thousands of times.
  private draft: Draft<TData> | undefined

  constructor(
    private readonly client: TaskcastClient,
    private readonly taskId: string,
    private readonly options: TaskStreamObserverOptions = {},
  ) {}

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

  private start(): void {
    if (this.subscription || this.finished) return
    const filter =
      this.lastEventId === undefined ? this.options.filter : { ...this.options.filter, since: { id: this.lastEventId } }
    this.subscription = this.client.subscribe<TData>(this.taskId, {
      ...(filter !== undefined && { filter }),
      ...(this.options.seriesFormat !== undefined && { seriesFormat: this.options.seriesFormat }),
      onEvent: (envelope) => {
        this.lastEventId = envelope.eventId
        this.change((draft) => draft.events.push(envelope))
      },
      onStatus: (status) => this.change((draft) => (draft.patch.status = status)),
      onDone: (reason) => {
        this.finish()
        this.change((draft) => Object.assign(draft.patch, { isDone: true, doneReason: reason, status: reason }))
      },
      onError: (error) => {
        this.finish()
        this.change((draft) => (draft.patch.error = error))
      },
    })
  }

  private stop(): void {
    this.subscription?.unsubscribe()
    this.subscription = undefined
  }

  private finish(): void {
    this.finished = true
    this.subscription = undefined
  }

  private change(edit: (draft: Draft<TData>) => void): void {
    if (!this.draft) {
      this.draft = { events: [], patch: {} }
      queueMicrotask(() => this.flush())
    }
    edit(this.draft)
  }

  private flush(): void {
    const draft = this.draft
    this.draft = undefined
    if (!draft) return
    const events = draft.events.length > 0 ? [...this.state.events, ...draft.events] : this.state.events
    this.state = { ...this.state, ...draft.patch, events }
    for (const listener of [...this.listeners]) listener()
  }
}
