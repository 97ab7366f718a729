// One stream of a TaskStreamObserver: it stops while nobody listens and, started again, resumes
// after the last event it delivered, until it ends for good (done, or an error not retried).
import type { SeriesFormat, SubscribeFilter } from '@taskcast/core'
import type { SubscribeOptions, TaskSubscription } from '@taskcast/core/wire'
import type { TaskcastClient } from './taskcast-client.js'

export type StreamHandlers<TData> = Pick<SubscribeOptions<TData>, 'onEvent' | 'onStatus' | 'onDone' | 'onError'>

export class ResumableStream<TData> {
  private subscription: TaskSubscription | undefined
  private lastEventId: string | undefined
  private ended = false

  constructor(
    private readonly filter: SubscribeFilter | undefined,
    private readonly seriesFormat: SeriesFormat | undefined,
    private readonly handlers: StreamHandlers<TData>,
  ) {}

  /** Opens the stream, after the last event delivered if there was one; no-op if open or ended. */
  start(client: TaskcastClient, taskId: string): void {
    if (this.subscription || this.ended) return
    const { filter, seriesFormat, handlers } = this
    const resumed = this.lastEventId === undefined ? filter : { ...filter, since: { id: this.lastEventId } }
    this.subscription = client.subscribe<TData>(taskId, {
      ...(resumed !== undefined && { filter: resumed }),
      ...(seriesFormat !== undefined && { seriesFormat }),
      onEvent: (envelope) => {
        this.lastEventId = envelope.eventId
        handlers.onEvent?.(envelope)
      },
      ...(handlers.onStatus && { onStatus: handlers.onStatus }),
      onDone: (reason) => {
        this.close()
        handlers.onDone?.(reason)
      },
      onError: (error) => {
        this.close()
        handlers.onError?.(error)
      },
    })
  }

  /** Closes the connection; `start` resumes it. */
  stop(): void {
    this.subscription?.unsubscribe()
    this.subscription = undefined
  }

  /** Closes it for good. */
  close(): void {
    this.stop()
    this.ended = true
  }
}
