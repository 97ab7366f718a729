// Cross-process subscriber counts over pub/sub: a question on the control channel, one answer
// per serving process on the asker's reply channel. Nothing is written per connect.
import { controlChannel, controlReplyChannel } from './keys.js'

/** What the counts need of the broadcast provider's connections. */
export interface CountsTransport {
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

/** A question: id (unique per asker), task, and where to answer. */
interface Question {
  q: number
  t: string
  r: string
}

/** An answer: the question's id and the count. */
interface Answer {
  q: number
  n: number
}

/** A question of ours still collecting answers. */
interface Asking {
  sum: number
  arrived: number
  /** How many answers to wait for; unknown until the PUBLISH reply (answers may come before it). */
  expected: number | undefined
  finish: () => void
}

export class SubscriberCounts {
  private readonly control: string
  private readonly replies: string
  private count: ((taskId: string) => number) | undefined
  private repliesSubscribed: Promise<void> | undefined
  private readonly asking = new Map<number, Asking>()
  private lastQuestion = 0
  private closed = false

  constructor(
    prefix: string,
    origin: string,
    private readonly transport: CountsTransport,
  ) {
    this.control = controlChannel(prefix)
    this.replies = controlReplyChannel(prefix, origin)
  }

  serve(count: (taskId: string) => number): void {
    if (this.closed) return
    const first = this.count === undefined
    this.count = count
    if (first) void this.transport.subscribe(this.control)
  }

  countElsewhere(taskId: string, timeoutMs: number): Promise<number> {
    if (this.closed) return Promise.resolve(0)
    const q = ++this.lastQuestion
    return new Promise<number>((resolve) => {
      const asking: Asking = {
        sum: 0,
        arrived: 0,
        expected: undefined,
        finish: () => {
          clearTimeout(timer)
          this.asking.delete(q)
          resolve(asking.sum)
        },
      }
      const timer = setTimeout(asking.finish, timeoutMs)
      this.asking.set(q, asking)
      void this.ask({ q, t: taskId, r: this.replies }, asking)
    })
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
    else if (channel === this.replies && isAnswer(parsed)) this.collect(parsed.q, parsed.n)
    else this.transport.onError(new Error(`unexpected message on ${channel}: ${message.slice(0, 200)}`))
    return true
  }

  /** Resolves every question still waiting with what arrived; answers nothing more. */
  close(): void {
    this.closed = true
    this.count = undefined
    for (const asking of [...this.asking.values()]) asking.finish()
  }

  private async ask(question: Question, asking: Asking): Promise<void> {
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
    // answer of 0, so no guess is made about whether its subscription is live right now).
    if (this.transport.nodeLocalReceivers) return
    asking.expected = receivers
    if (asking.arrived >= receivers) asking.finish()
  }

  private answer(question: Question): void {
    if (question.r === this.replies) {
      this.collect(question.q, 0)
      return
    }
    const count = this.count
    if (!count) return
    let n = 0
    try {
      n = count(question.t)
    } catch (error) {
      // Answer anyway, so the asker need not wait for the timeout.
      this.transport.onHandlerError(error)
    }
    const answer: Answer = { q: question.q, n }
    this.transport.publish(question.r, JSON.stringify(answer)).catch((error: unknown) => this.transport.onError(error))
  }

  private collect(q: number, n: number): void {
    const asking = this.asking.get(q)
    if (!asking) return
    asking.sum += n
    asking.arrived++
    if (asking.expected !== undefined && asking.arrived >= asking.expected) asking.finish()
  }
}

function isQuestion(value: Partial<Question> | null): value is Question {
  return typeof value?.q === 'number' && typeof value.t === 'string' && typeof value.r === 'string'
}

function isAnswer(value: Partial<Answer> | null): value is Answer {
  return typeof value?.q === 'number' && typeof value.n === 'number' && Number.isFinite(value.n)
}
