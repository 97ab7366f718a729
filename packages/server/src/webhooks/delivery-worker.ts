// The delivery of one (task, webhook) pair by this process: a reader of the task's log, like
// an SSE subscriber, that holds the pair's lease in the store while it works.
//
// acquire the lease → read the log after the stored cursor → deliver what the webhook's filter
// selects, in index order, advancing the stored cursor after each one → release once caught up
// (the store refuses while newer events exist, so none falls between a release and the next
// publisher's acquire). The lease is extended while the work lasts; a lost lease stops it.
import { TaskcastError, type Clock, type DeliveryExtendResult, type DeliveryLeaseStore, type DeliveryPosition, type DeliveryRef, type EventRange, type SSEEnvelope, type TaskEvent } from '@taskcast/core'
import { FilteredStream, toEnvelope } from '@taskcast/core/internal'
import type { DeliveryTarget, SendOutcome } from './send-delivery.js'

/** What the worker needs from its dispatcher. */
export interface WorkerContext {
  leases: DeliveryLeaseStore
  /** Events of the task's log in `range`, in index order. */
  readEvents(taskId: string, range: EventRange): Promise<TaskEvent[]>
  /** This process's lease token. */
  owner: string
  leaseMs: number
  clock: Clock
  /** Aborted when the dispatcher closes. */
  closing: AbortSignal
  send(target: DeliveryTarget, event: TaskEvent, payload: unknown, signal: AbortSignal): Promise<SendOutcome>
  /** A delivery exhausted its retries (`onWebhookFailed`). */
  failed(target: DeliveryTarget, error: TaskcastError, payload: TaskEvent | SSEEnvelope): void
  reportError(error: unknown, taskId: string): void
  /** Moves the pair in the store's index of deliveries (in the background). */
  reschedule(ref: DeliveryRef, at: number): void
  /**
   * The task's log as read when this process saw it end, before any cleanup rule could delete the
   * task or its events; undefined when this process did not see the end. Read instead of the store.
   */
  finalLog(taskId: string): Promise<TaskEvent[]> | undefined
}

/**
 * How a worker ended: `released` (caught up), `held` (another process delivers), `idle`
 * (nothing to do), `done` (the task ended and everything was delivered), `gone` (no such
 * task), `lost` (the lease expired under it), `stale` (the lease belongs to another task
 * under the same id), `closed` (the dispatcher closed), `error` (the store failed).
 */
export type WorkerEnd = 'released' | 'held' | 'idle' | 'done' | 'gone' | 'lost' | 'stale' | 'closed' | 'error'

export class DeliveryWorker {
  /** Poked since the last look at the store: new events may exist that the store did not show yet. */
  private again = false
  /** With the end `held`: how long the other owner's lease has to run. */
  heldForMs: number | undefined
  /** Started or poked by a sweep of the index of deliveries (rather than by a publish). */
  swept = false

  constructor(
    private readonly context: WorkerContext,
    readonly taskId: string,
    readonly target: DeliveryTarget,
    /** `createdAt` of the task whose webhooks `target` comes from. */
    private readonly taskCreatedAt: number,
    /** Called synchronously as the worker ends, so that no poke falls between its last look and its end. */
    private readonly onEnd: (end: WorkerEnd) => void,
  ) {}

  /** Events were published: look again before ending. */
  poke(): void {
    this.again = true
  }

  async run(): Promise<void> {
    let end: WorkerEnd
    do {
      this.again = false
      end = await this.once()
      // A poke during the last look may be for an event the store did not show it yet.
    } while (this.again && !this.context.closing.aborted && (end === 'released' || end === 'held' || end === 'idle'))
    this.onEnd(end)
  }

  private async once(): Promise<WorkerEnd> {
    const { leases, owner, leaseMs, closing } = this.context
    if (closing.aborted) return 'closed'
    const { taskId } = this
    const { key } = this.target
    try {
      const lease = await leases.acquire(taskId, key, owner, leaseMs)
      if (lease.status === 'held') this.heldForMs = lease.remainingMs
      // Poked for an event of a task deleted since: that event, at least, will not go out. (A sweep's
      // look at a deleted task has no such event: the task may well have been caught up.)
      if (lease.status === 'gone' && !this.swept) this.vanished(undefined)
      if (lease.status !== 'acquired') return lease.status
      const position = { cursor: lease.cursor, filteredCount: lease.filteredCount }
      if (lease.taskCreatedAt !== this.taskCreatedAt) {
        await leases.release(taskId, key, owner, leaseMs, position, { force: true })
        return 'stale'
      }
      // Due in the index when the lease would expire: should this process die, a sweep takes over.
      this.context.reschedule({ taskId, key }, this.context.clock.now() + leaseMs)
      return await this.deliverHeld(position)
    } catch (error) {
      // The store failed: the lease (if taken) expires and the index of deliveries brings it back.
      this.context.reportError(error, taskId)
      return 'error'
    }
  }

  private async deliverHeld(start: DeliveryPosition): Promise<WorkerEnd> {
    const { leases, owner, leaseMs, closing, clock } = this.context
    const { taskId, target } = this
    const { key } = target
    // Aborted when the dispatcher closes or the lease is lost (AbortSignal.any needs Node 20.3).
    const stop = new AbortController()
    const { signal } = stop
    const onClose = () => stop.abort()
    closing.addEventListener('abort', onClose, { once: true })
    if (closing.aborted) stop.abort()
    let lost = false
    const stream = new FilteredStream(target.config.filter)
    stream.nextIndex = start.cursor + 1
    stream.filteredCount = start.filteredCount
    let position = start
    // The lease outlives slow receivers and retry waits for as long as this process lives.
    let renewal: unknown
    let working = true
    // The task was deleted (a cleanup rule, a DELETE) with its log and this record: what was read
    // is still delivered, since no other process can, then what the log held when this process
    // saw the task end (read before any cleanup could run); the rest went with the task.
    let gone = false
    /** The last pass, over what is left once the task is gone. */
    let final = false
    const extended = (result: DeliveryExtendResult) => {
      if (result === 'lost') {
        lost = true
        stop.abort()
      } else if (result === 'gone') gone = true
    }
    const renew = () => {
      renewal = clock.setTimeout(() => {
        leases.extend(taskId, key, owner, leaseMs).then(
          (result) => {
            extended(result)
            if (result === 'extended' && working) renew()
          },
          (error: unknown) => {
            this.context.reportError(error, taskId)
            if (working) renew()
          },
        )
      }, leaseMs / 3)
    }
    renew()
    try {
      for (;;) {
        const events = await this.read(position, final)
        for (let i = 0; i < events.length && !signal.aborted; i++) {
          const event = events[i]!
          if (event.index < stream.nextIndex) continue
          const item = stream.accept(event)
          if (item) {
            const payload = target.config.wrap === false ? item.data : toEnvelope(item)
            const outcome = await this.context.send(target, event, payload, signal)
            if (outcome.status === 'stopped') break
            if (outcome.status === 'failed') {
              this.context.failed(target, outcome.error, target.config.wrap === false ? event : (payload as SSEEnvelope))
            }
          }
          position = { cursor: event.index, filteredCount: stream.filteredCount }
          // The last one of the read is recorded by the release that follows.
          if (item && !gone && i < events.length - 1) extended(await leases.extend(taskId, key, owner, leaseMs, position))
        }
        if (final) {
          // Once over the final log, then the end: there is no record left to release.
          if (signal.aborted || stream.doneStatus === undefined) this.vanished(position)
          return 'gone'
        }
        if (gone) {
          final = true
          continue
        }
        if (closing.aborted) {
          // Let go at once, so that another process can take over without waiting for the expiry.
          if ((await leases.release(taskId, key, owner, leaseMs, position, { force: true })) === 'released') {
            this.context.reschedule({ taskId, key }, clock.now())
          }
          return 'closed'
        }
        if (lost) return 'lost'
        this.again = false
        const released = await leases.release(taskId, key, owner, leaseMs, position)
        if (released === 'gone') gone = final = true
        else if (released !== 'more') return released
      }
    } finally {
      working = false
      clock.clearTimeout(renewal)
      closing.removeEventListener('abort', onClose)
    }
  }

  /**
   * The events after `position`: from the log as read when this process saw the task end, when
   * it did (a cleanup rule may delete the task or some of its events since), else from the store;
   * from nowhere else on the `final` pass over a task that vanished.
   */
  private async read(position: DeliveryPosition, final: boolean): Promise<TaskEvent[]> {
    const log = await this.context.finalLog(this.taskId)?.catch(() => undefined)
    if (log) return log.filter((event) => event.index > position.cursor)
    return final ? [] : this.context.readEvents(this.taskId, { fromIndex: position.cursor + 1 })
  }

  /**
   * Reports that the task vanished before this webhook's deliveries reached its end: nothing after
   * `position` (unknown when the record went before it was read) will go out.
   */
  private vanished(position: DeliveryPosition | undefined): void {
    const after = position ? `after index ${position.cursor} ` : ''
    this.context.reportError(
      new TaskcastError(
        'TASK_NOT_FOUND',
        `task ${this.taskId} was deleted before its webhook deliveries to ${hostOf(this.target.config.url)} were done: ` +
          `its events ${after}that had not been read were not delivered`,
        { details: { taskId: this.taskId, webhook: this.target.key, ...(position && { deliveredThrough: position.cursor }) } },
      ),
      this.taskId,
    )
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return '<invalid URL>'
  }
}
