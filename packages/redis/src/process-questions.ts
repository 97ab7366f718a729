// Questions to every other process over pub/sub: how many subscribers a task has there, which
// workers are connected there. A question goes out on the control channel, each serving process
// answers on the asker's reply channel. Nothing is written per connect.
import type { WorkerListing } from '@taskcast/core'
import { controlChannel, controlReplyChannel } from './keys.js'

/** What the questions need of the broadcast provider's connections. */
export interface QuestionsTransport {
  /** Resolves when the write connection can take a command; throws when Redis is unavailable. */
  writable(): Promise<void>
  /** PUBLISHes on the write connection; resolves with the receivers Redis reports, throws when Redis is unavailable. */
  publish(channel: string, message: string): Promise<number>
  /** SUBSCRIBEs on the shared subscriber connection; settles once answered (failures are reported by the transport). */
  subscribe(channel: string): Promise<void>
  /**
   * True on Redis Cluster, where a PUBLISH reply counts the receivers on one node only
   * (messages reach the other nodes' subscribers over the cluster bus, uncounted).
   */
  nodeLocalReceivers: boolean
  onError(error: unknown): void
  onHandlerError(error: unknown): void
}

/**
 * A question: id (unique per asker) and where to answer; a task (`t`) for a subscriber count,
 * `k: 'workers'` for the workers. A process of an earlier version answers only the first kind.
 */
interface Question {
  q: number
  r: string
  t?: string
  k?: 'workers'
}

/** An answer: the question's id and a count (`n`) or workers (`w`). */
interface Answer {
  q: number
  n?: number
  w?: WorkerListing[]
}

/** A question of ours still collecting answers. */
interface Asking {
  take: (answer: Answer) => void
  arrived: number
  /** How many answers to wait for; unknown until the PUBLISH reply (answers may come before it). */
  expected: number | undefined
  finish: () => void
}

export class ProcessQuestions {
  private readonly control: string
  private readonly replies: string
  private count: ((taskId: string) => number) | undefined
  private workers: (() => WorkerListing[]) | undefined
  private repliesSubscribed: Promise<void> | undefined
  private readonly asking = new Map<number, Asking>()
  private lastQuestion = 0
  private closed = false

  constructor(
    prefix: string,
    origin: string,
    private readonly transport: QuestionsTransport,
  ) {
    this.control = controlChannel(prefix)
    this.replies = controlReplyChannel(prefix, origin)
  }

  serveCounts(count: (taskId: string) => number): void {
    this.serving()
    this.count = count
  }

  serveWorkers(list: () => WorkerListing[]): void {
    this.serving()
    this.workers = list
  }

  countElsewhere(taskId: string, timeoutMs: number): Promise<number> {
    let sum = 0
    return this.ask({ t: taskId }, timeoutMs, (answer) => (sum += answer.n ?? 0), () => sum)
  }

  workersElsewhere(timeoutMs: number): Promise<WorkerListing[]> {
    const found: WorkerListing[] = []
    return this.ask({ k: 'workers' }, timeoutMs, (answer) => found.push(...(answer.w ?? [])), () => found)
  }

  /** Takes a message of the control or reply channel; false when `channel` is neither. */
  receive(channel: string, message: string): boolean {
    if (channel !== this.control && channel !== this.replies) return false
    let parsed: Partial<Question & Answer> | null
    try {
      parsed = JSON.parse(message) as Partial<Question & Answer> | null
    } catch (error) {
      this.transport.onError(error)
      return true
    }
    if (channel === this.control && isQuestion(parsed)) this.answer(parsed)
    else if (channel === this.replies && isAnswer(parsed)) this.collect(parsed)
    else this.transport.onError(new Error(`unexpected message on ${channel}: ${message.slice(0, 200)}`))
    return true
  }

  /** Resolves every question still waiting with what arrived; answers nothing more. */
  close(): void {
    this.closed = true
    this.count = undefined
    this.workers = undefined
    for (const asking of [...this.asking.values()]) asking.finish()
  }

  private serving(): void {
    if (this.closed || this.count || this.workers) return
    void this.transport.subscribe(this.control)
  }

  private ask<T>(about: Omit<Question, 'q' | 'r'>, timeoutMs: number, take: (answer: Answer) => void, result: () => T): Promise<T> {
    if (this.closed) return Promise.resolve(result())
    const q = ++this.lastQuestion
    return new Promise<T>((resolve) => {
      const asking: Asking = {
        take,
        arrived: 0,
        expected: undefined,
        finish: () => {
          clearTimeout(timer)
          this.asking.delete(q)
          resolve(result())
        },
      }
      const timer = setTimeout(asking.finish, timeoutMs)
      this.asking.set(q, asking)
      void this.send({ ...about, q, r: this.replies }, asking)
    })
  }

  private async send(question: Question, asking: Asking): Promise<void> {
    try {
      // Fails at once while Redis is down, where the SUBSCRIBE below would only wait.
      await this.transport.writable()
    } catch (error) {
      this.transport.onError(error)
      asking.finish()
      return
    }
    // Answers sent before the reply channel's SUBSCRIBE took effect would be lost.
    this.repliesSubscribed ??= this.transport.subscribe(this.replies)
    await this.repliesSubscribed
    if (!this.asking.has(question.q)) return
    let receivers: number
    try {
      receivers = await this.transport.publish(this.control, JSON.stringify(question))
    } catch (error) {
      this.transport.onError(error)
      asking.finish()
      return
    }
    // Unknown on Cluster: wait for the timeout. On one node every receiver is counted,
    // this provider's own subscriber too when it serves (it takes its own question as an
    // empty answer, so no guess is made about whether its subscription is live right now).
    if (this.transport.nodeLocalReceivers) return
    asking.expected = receivers
    if (asking.arrived >= receivers) asking.finish()
  }

  private answer(question: Question): void {
    if (question.r === this.replies) {
      this.collect({ q: question.q })
      return
    }
    if (!this.count && !this.workers) return
    // Answered even when the handler throws, so the asker need not wait for the timeout.
    const answer: Answer = { q: question.q }
    try {
      if (question.k === 'workers') answer.w = this.workers?.() ?? []
      else answer.n = this.count?.(question.t ?? '') ?? 0
    } catch (error) {
      this.transport.onHandlerError(error)
    }
    this.transport.publish(question.r, JSON.stringify(answer)).catch((error: unknown) => this.transport.onError(error))
  }

  private collect(answer: Answer): void {
    const asking = this.asking.get(answer.q)
    if (!asking) return
    asking.take(answer)
    asking.arrived++
    if (asking.expected !== undefined && asking.arrived >= asking.expected) asking.finish()
  }
}

function isQuestion(value: Partial<Question> | null): value is Question {
  if (typeof value?.q !== 'number' || typeof value.r !== 'string') return false
  return value.k === 'workers' || typeof value.t === 'string'
}

function isAnswer(value: Partial<Answer> | null): value is Answer {
  if (typeof value?.q !== 'number') return false
  if (value.n !== undefined && !(typeof value.n === 'number' && Number.isFinite(value.n))) return false
  return value.w === undefined || (Array.isArray(value.w) && value.w.every(isListing))
}

function isListing(value: unknown): value is WorkerListing {
  const listing = value as Partial<WorkerListing> | null
  return typeof listing === 'object' && listing !== null && typeof listing.workerId === 'string' && (listing.mode === 'pull' || listing.mode === 'ws')
}
