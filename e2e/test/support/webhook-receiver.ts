// A loopback webhook receiver for the scenarios: records every delivery it gets (per path,
// in arrival order) and answers after a fixed delay, as a real receiver doing some work, with
// the status its `answer` says: a failing receiver (500s), or one that never answers at all.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Cluster, Redis } from 'ioredis'
import { REDIS_URL } from './services.js'

export interface Delivery {
  /** X-Taskcast-Delivery: the event id, the receiver's dedup key. */
  id: string
  type: string
  rawIndex: number
  filteredIndex: number
  data: unknown
  /** When it arrived (Date.now()). */
  at: number
  /** The status it was answered with; undefined while (or when) it is left unanswered. */
  status: number | undefined
}

/** How to answer a delivery: a status, or `'hang'` (never answer; the sender's timeout cuts it). */
export type Answer = number | 'hang'

export interface ReceiverOptions {
  /** How long each answer takes. @defaultValue 5 */
  answerAfterMs?: number
  /** The answer to each delivery, decided when it arrives. @defaultValue always 200 */
  answer?: (delivery: Delivery, path: string) => Answer
}

export class WebhookReceiver {
  url = ''
  /** Every request, per path, in the order it arrived (duplicates included). */
  readonly deliveries = new Map<string, Delivery[]>()
  private server: Server | undefined

  private constructor(
    private readonly answerAfterMs: number,
    private readonly answer: (delivery: Delivery, path: string) => Answer,
  ) {}

  /** Starts a receiver on a loopback port; a number is `answerAfterMs`. */
  static async start(options: ReceiverOptions | number = {}): Promise<WebhookReceiver> {
    const { answerAfterMs = 5, answer = () => 200 } = typeof options === 'number' ? { answerAfterMs: options } : options
    const receiver = new WebhookReceiver(answerAfterMs, answer)
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
        const path = req.url ?? '/'
        let list = receiver.deliveries.get(path)
        if (!list) receiver.deliveries.set(path, (list = []))
        const delivery: Delivery = {
          id: String(req.headers['x-taskcast-delivery']),
          type: String(req.headers['x-taskcast-event']),
          rawIndex: envelope.rawIndex as number,
          filteredIndex: envelope.filteredIndex as number,
          data: envelope.data,
          at: Date.now(),
          status: undefined,
        }
        list.push(delivery)
        const answer = receiver.answer(delivery, path)
        // Left open: the sender's timeout, or close(), ends it.
        if (answer === 'hang') return
        setTimeout(() => {
          // A sender that gave up meanwhile never sees the answer.
          if (res.destroyed) return
          delivery.status = answer
          res.writeHead(answer).end('ok')
        }, receiver.answerAfterMs)
      })
    })
    receiver.server = server
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return receiver
  }

  of(path: string): Delivery[] {
    return this.deliveries.get(path) ?? []
  }

  /** The deliveries of `path` answered with a 2xx, in arrival order. */
  accepted(path: string): Delivery[] {
    return this.of(path).filter((delivery) => delivery.status !== undefined && delivery.status >= 200 && delivery.status < 300)
  }

  /** Resolves once `path` got a delivery of event `id` (answered with a 2xx, with `accepted`). */
  async waitFor(path: string, id: string, timeoutMs: number, { accepted = false }: { accepted?: boolean } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!(accepted ? this.accepted(path) : this.of(path)).some((delivery) => delivery.id === id)) {
      if (Date.now() > deadline) throw new Error(`${path} got no delivery of ${id} within ${timeoutMs} ms (${this.of(path).length} so far)`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve()
      this.server.closeAllConnections()
      this.server.close(() => resolve())
    })
  }
}

/** What one webhook got, against the events it should have got (the log under its filter, in order). */
export interface DeliveryReport {
  expected: number
  /** Requests received, duplicates included. */
  received: number
  /** Requests for an event that had already been delivered (the at-least-once retries). */
  rawDuplicates: number
  /** Expected events never delivered. */
  lost: number
  /** After dropping repeated ids: events delivered twice under different ids (should never happen). */
  duplicatedAfterDedup: number
  /** After dedup: deliveries whose rawIndex is lower than the one before. */
  outOfOrder: number
  /** After dedup: deliveries whose filteredIndex is not their position in the filtered log. */
  wrongFilteredIndex: number
  /** Repeated deliveries that did not carry the first one's numbering. */
  inconsistentRepeats: number
  /** Deliveries of events that the filter does not select. */
  unexpected: number
}

export function checkDeliveries(got: readonly Delivery[], expectedIds: readonly string[]): DeliveryReport {
  const firstById = new Map<string, Delivery>()
  let inconsistentRepeats = 0
  for (const delivery of got) {
    const first = firstById.get(delivery.id)
    if (!first) firstById.set(delivery.id, delivery)
    else if (first.rawIndex !== delivery.rawIndex || first.filteredIndex !== delivery.filteredIndex) inconsistentRepeats++
  }
  const deduped = [...firstById.values()]
  const expectedPosition = new Map(expectedIds.map((id, position) => [id, position]))
  let outOfOrder = 0
  let wrongFilteredIndex = 0
  let unexpected = 0
  const rawSeen = new Set<number>()
  let duplicatedAfterDedup = 0
  deduped.forEach((delivery, i) => {
    if (i > 0 && delivery.rawIndex < deduped[i - 1]!.rawIndex) outOfOrder++
    if (rawSeen.has(delivery.rawIndex)) duplicatedAfterDedup++
    rawSeen.add(delivery.rawIndex)
    const position = expectedPosition.get(delivery.id)
    if (position === undefined) unexpected++
    else if (delivery.filteredIndex !== position) wrongFilteredIndex++
  })
  return {
    expected: expectedIds.length,
    received: got.length,
    rawDuplicates: got.length - deduped.length,
    lost: expectedIds.filter((id) => !firstById.has(id)).length,
    duplicatedAfterDedup,
    outOfOrder,
    wrongFilteredIndex,
    inconsistentRepeats,
    unexpected,
  }
}

/** Where the short-term store is: one Redis (`url`) or the seed nodes of a Redis Cluster (`cluster`). */
export interface LeaseStoreAddress {
  url?: string
  cluster?: string[]
}

/**
 * The pids of the processes holding a lease of the task's webhook deliveries right now, read
 * from the task hash (the Redis adapter keeps each lease as '@dl:<key>' = '<expiry>,<pid>:<uuid>').
 */
export async function leaseHolders(keyPrefix: string, taskId: string, at: LeaseStoreAddress = { url: REDIS_URL }): Promise<number[]> {
  const client = at.cluster
    ? new Cluster(
        at.cluster.map((seed) => ({ host: new URL(seed).hostname, port: Number(new URL(seed).port) })),
        { redisOptions: { maxRetriesPerRequest: 1 } },
      )
    : new Redis(at.url ?? REDIS_URL, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  try {
    const hash = await client.hgetall(`${keyPrefix}task:{${taskId}}`)
    const now = Date.now()
    return Object.entries(hash)
      .filter(([field]) => field.startsWith('@dl:'))
      .map(([, value]) => /^(\d+),(\d+):/.exec(value))
      .filter((match): match is RegExpExecArray => match !== null && Number(match[1]) > now)
      .map((match) => Number(match[2]))
  } finally {
    client.disconnect()
  }
}
