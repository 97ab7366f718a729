// `serverClient.producer(taskId)`: an idempotent producer (SPEC §19, docs/exactly-once.md). It
// numbers events, batches them, keeps several requests in flight, and sends each request again
// until the server has stored it, so that every event lands in the task's log exactly once, in
// the order `publish()` was called.
//
// Two rules of the server make that safe. A request is appended only when its first seq is the
// next one expected, so one that overtakes a lost or slower one is refused (`SEQUENCE_GAP`) and
// goes again once the one before it is stored: the log's order needs no care here, only
// progress. And a request sent again after it was stored is answered 200 with the events as
// stored, so a resend is never a duplicate.
//
// Progress is cheapest when requests leave in seq order: one sent past an earlier batch that
// waits (for its backoff, or for its own predecessor), or whose request left before the one of
// the batch ahead of it (a resend), is sure to be refused, and each refusal would put the next
// request behind a resend in turn. So nothing is sent past such a batch.
import { TaskcastError, type ProducerStamp, type PublishEventInput, type TaskEvent } from '@taskcast/core'
import { validatePublishEventInput } from '@taskcast/core/internal'
import { networkError, sleep } from '@taskcast/core/wire'
import { claimEpoch } from './claim-epoch.js'
import { Fifo } from './fifo.js'
import type { RequesterSettings } from './http-requester.js'
import { producerSettings, type ProducerOptions, type ProducerSettings } from './producer-options.js'
import { isOwnRepeat } from './repeat-answer.js'
import { nextAttemptDelay } from './retry-schedule.js'
import { sendStamped, type StampedAnswer } from './stamped-request.js'

/** A published event that is not stored yet. */
interface Entry {
  /** The event as sent, encoded once when published (a later change to the input is not sent). */
  json: string
  bytes: number
  /** What `publish()` returned. */
  stored: Promise<TaskEvent>
  resolve(event: TaskEvent): void
  reject(error: unknown): void
}

/**
 * Rejects a publish, marked as handled first: the caller may await it or rely on `flush()`, and
 * an unawaited publish must not crash the process with an unhandled rejection. (Done here rather
 * than on every publish, which would cost a promise per event.)
 */
function refuse(entry: Entry, error: unknown): void {
  entry.stored.catch(ignore)
  entry.reject(error)
}

/** One request: its events keep their seqs, and the request its exact body, on every attempt. */
interface Batch {
  seq: number
  entries: Entry[]
  body: string
  /**
   * `sending`: a request is out. `backoff`: waiting to go again after a failure. `held`: refused
   * for overtaking an earlier batch; ready once every batch before it is stored. `ready`: goes
   * (again) as soon as every batch before it is out.
   */
  state: 'sending' | 'backoff' | 'held' | 'ready'
  attempts: number
  firstSentAt: number
  /** When its current attempt left, counted in requests sent by this producer. */
  sentAs: number
  /** The first seq not yet stored when the current attempt went out. */
  floor: number
}

const utf8 = new TextEncoder()
const ASCII = /^[\x00-\x7f]*$/

function utf8Length(text: string): number {
  return ASCII.test(text) ? text.length : utf8.encode(text).length
}

function ignore(): void {}

/**
 * Publishes into one task exactly once, in order. Create it with `serverClient.producer()`.
 *
 * A failure it cannot ride out (`STALE_PRODUCER`, `TASK_NOT_RUNNING`, a refusal, the deadline)
 * is fatal: every pending and later `publish()`, `flush()` and `close()` rejects with it, since
 * publishing on past a hole would break the order.
 */
export class TaskProducer {
  readonly producerId: string
  private readonly settings: ProducerSettings
  /** Known at once, or when the claim's probe is answered. */
  private currentEpoch: number | undefined
  private readonly epochKnown: Promise<number>
  /** Published, not yet in a batch. */
  private readonly queue = new Fifo<Entry>()
  private queuedBytes = 0
  /** Sent and not yet stored, by seq. */
  private readonly batches: Batch[] = []
  /** The seq of the next event to go into a batch (seqs follow `publish()` calls). */
  private nextSeq = 0
  private requestsSent = 0
  private lingerTimer: ReturnType<typeof setTimeout> | undefined
  /** The oldest queued event has waited its `lingerMs` (or a flush wants everything out). */
  private lingerDue = false
  private closed = false
  private failure: TaskcastError | undefined
  /** Aborted by a fatal failure: ends backoff waits and abandons requests in flight. */
  private readonly halt = new AbortController()
  private readonly flushes: { through: number; resolve(): void; reject(error: unknown): void }[] = []

  /** @internal use `serverClient.producer()` */
  constructor(
    private readonly http: RequesterSettings,
    /** `/tasks/:id/events` */
    private readonly eventsPath: string,
    options: ProducerOptions = {},
  ) {
    this.settings = producerSettings(options)
    this.producerId = this.settings.producerId
    const { epoch } = this.settings
    if (epoch === 'claim') {
      const send = (stamp: ProducerStamp, body: string) => this.send(stamp, body)
      this.epochKnown = claimEpoch(send, this.settings, this.halt.signal).then(
        (claimed) => {
          this.currentEpoch = claimed
          this.pump()
          return claimed
        },
        (error: unknown) => {
          this.fail(TaskcastError.isInstance(error) ? error : networkError(error))
          throw error
        },
      )
      this.epochKnown.catch(ignore)
    } else {
      this.currentEpoch = epoch
      this.epochKnown = Promise.resolve(epoch)
    }
  }

  /** The epoch this producer publishes with (with `'claim'`, once the server told it). */
  epoch(): Promise<number> {
    return this.epochKnown
  }

  /**
   * Queues one event and resolves with it as stored (its `id` and `index`) once the server has it.
   * The input is validated and encoded now. A rejection you do not handle does not go unhandled:
   * `flush()` and `close()` reject with the same error.
   * @throws TaskcastError (as a rejection) `VALIDATION_ERROR` for an invalid input, or the producer's fatal error
   */
  publish(input: PublishEventInput): Promise<TaskEvent> {
    if (this.failure) {
      const refused = Promise.reject(this.failure)
      refused.catch(ignore)
      return refused
    }
    if (this.closed) return Promise.reject(new TaskcastError('VALIDATION_ERROR', `producer ${this.producerId} is closed`))
    let json: string
    try {
      json = JSON.stringify(validatePublishEventInput(input))
    } catch (error) {
      return Promise.reject(error)
    }
    const entry = { json, bytes: utf8Length(json) } as Entry
    entry.stored = new Promise<TaskEvent>((resolve, reject) => {
      entry.resolve = resolve
      entry.reject = reject
    })
    this.queue.push(entry)
    this.queuedBytes += entry.bytes
    this.pump()
    return entry.stored
  }

  /**
   * Resolves once every event published before the call is stored; sends what is queued without
   * waiting for `lingerMs`.
   * @throws TaskcastError (as a rejection) the producer's fatal error
   */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    const through = this.nextSeq + this.queue.length
    if (this.storedThrough() >= through) return Promise.resolve()
    const flushed = new Promise<void>((resolve, reject) => this.flushes.push({ through, resolve, reject }))
    this.lingerDue = true
    this.pump()
    return flushed
  }

  /** Refuses further `publish()` calls and resolves once everything published is stored (as `flush()`). */
  close(): Promise<void> {
    this.closed = true
    return this.flush()
  }

  /** Every seq below this one is stored. */
  private storedThrough(): number {
    return this.batches[0]?.seq ?? this.nextSeq
  }

  private send(stamp: ProducerStamp, body: string): Promise<StampedAnswer> {
    return sendStamped(this.http, this.eventsPath, stamp, body, this.settings.requestTimeoutMs, this.halt.signal)
  }

  /** Sends what is ready, in seq order: batches to send again, then new ones while the window has room. */
  private pump(): void {
    if (this.failure || this.currentEpoch === undefined) return
    const { maxBatch, maxBatchBytes, maxInFlight, lingerMs } = this.settings
    let waiting = false
    let latest = -1
    for (const batch of this.batches) {
      if (batch.state === 'ready') this.transmit(batch)
      if (batch.state !== 'sending' || batch.sentAs < latest) {
        waiting = true
        break
      }
      latest = batch.sentAs
    }
    while (
      !waiting &&
      this.queue.length > 0 &&
      this.batches.length < maxInFlight &&
      (this.lingerDue || this.queue.length >= maxBatch || this.queuedBytes >= maxBatchBytes)
    ) {
      this.sendNewBatch()
    }
    if (this.queue.length === 0) {
      this.lingerDue = false
      clearTimeout(this.lingerTimer)
      this.lingerTimer = undefined
    } else if (!this.lingerDue && this.lingerTimer === undefined) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined
        this.lingerDue = true
        this.pump()
      }, lingerMs)
    }
  }

  private sendNewBatch(): void {
    const { maxBatch, maxBatchBytes } = this.settings
    const entries: Entry[] = []
    let bytes = 2
    // At least one event, so that one over maxBatchBytes still goes (alone).
    while (entries.length < maxBatch && this.queue.length > 0) {
      const next = this.queue.peek()!
      if (entries.length > 0 && bytes + 1 + next.bytes > maxBatchBytes) break
      entries.push(this.queue.shift()!)
      bytes += next.bytes + 1
      this.queuedBytes -= next.bytes
    }
    const body = `[${entries.map((entry) => entry.json).join(',')}]`
    const batch: Batch = { seq: this.nextSeq, entries, body, state: 'ready', attempts: 0, firstSentAt: Date.now(), sentAs: 0, floor: 0 }
    this.nextSeq += entries.length
    this.batches.push(batch)
    this.transmit(batch)
  }

  private transmit(batch: Batch): void {
    batch.state = 'sending'
    batch.attempts++
    batch.sentAs = this.requestsSent++
    batch.floor = this.storedThrough()
    const stamp = { id: this.producerId, epoch: this.currentEpoch!, seq: batch.seq }
    this.send(stamp, batch.body).then(
      (answer) => this.stored(batch, answer),
      (error: unknown) => this.refused(batch, TaskcastError.isInstance(error) ? error : networkError(error)),
    )
  }

  private stored(batch: Batch, answer: StampedAnswer): void {
    if (this.failure) return
    const { events, repeat } = answer
    if (!Array.isArray(events) || events.length !== batch.entries.length) {
      return this.fail(new TaskcastError('INTERNAL', `the server answered ${batch.entries.length} events with something else`))
    }
    if (repeat && !isOwnRepeat(batch.entries.map((entry) => entry.json), events)) {
      return this.fail(
        new TaskcastError('CONFLICT', `seq ${batch.seq} of producer ${this.producerId} epoch ${this.currentEpoch} holds another instance's events`, {
          details: { producerId: this.producerId, epoch: this.currentEpoch, seq: batch.seq },
        }),
      )
    }
    this.batches.splice(this.batches.indexOf(batch), 1)
    batch.entries.forEach((entry, i) => entry.resolve(events[i]!))
    // Everything before the first held batch is stored now: it and the held ones after it go
    // again, in order (one that is overtaken again waits for the next round).
    if (this.batches[0]?.state === 'held') {
      for (const later of this.batches) if (later.state === 'held') later.state = 'ready'
    }
    const done = this.storedThrough()
    while (this.flushes.length > 0 && this.flushes[0]!.through <= done) this.flushes.shift()!.resolve()
    this.pump()
  }

  private refused(batch: Batch, error: TaskcastError): void {
    if (this.failure) return
    if (error.code === 'SEQUENCE_GAP') return this.overtook(batch, error)
    const delay = error.retryable ? nextAttemptDelay(this.settings, batch.attempts, batch.firstSentAt) : undefined
    if (delay === undefined) return this.fail(error)
    batch.state = 'backoff'
    void sleep(delay, this.halt.signal).then(() => {
      batch.state = 'ready'
      this.pump()
    })
  }

  /**
   * A `SEQUENCE_GAP`: the server expected `expectedSeq` when it judged this batch. Between the
   * first seq unstored when it was sent and its own seq, it overtook an earlier batch (lost, or
   * still on its way). Anything else means the server's state is not the one this producer built
   * (another instance under the same id and epoch, or the task was re-created): fatal.
   */
  private overtook(batch: Batch, gap: TaskcastError): void {
    const expected = gap.details?.expectedSeq
    if (typeof expected !== 'number' || expected < batch.floor || expected >= batch.seq) return this.fail(gap)
    // The batches before it may have been stored while the answer travelled.
    batch.state = this.batches[0] === batch ? 'ready' : 'held'
    this.pump()
  }

  private fail(error: TaskcastError): void {
    if (this.failure) return
    this.failure = error
    this.halt.abort(error)
    clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
    for (const batch of this.batches.splice(0)) for (const entry of batch.entries) refuse(entry, error)
    for (const entry of this.queue.drain()) refuse(entry, error)
    this.queuedBytes = 0
    for (const flush of this.flushes.splice(0)) flush.reject(error)
  }
}
