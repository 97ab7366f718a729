// A loopback webhook receiver for the scenarios: records every delivery it gets (per path,
// in arrival order) and answers after a fixed delay, as a real receiver doing some work.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Redis } from 'ioredis'
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
}

export class WebhookReceiver {
  url = ''
  /** Every request, per path, in the order it arrived (duplicates included). */
  readonly deliveries = new Map<string, Delivery[]>()
  private server: Server | undefined

  private constructor(private readonly answerAfterMs: number) {}

  static async start(answerAfterMs = 5): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(answerAfterMs)
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
        const path = req.url ?? '/'
        let list = receiver.deliveries.get(path)
        if (!list) receiver.deliveries.set(path, (list = []))
        list.push({
          id: String(req.headers['x-taskcast-delivery']),
          type: String(req.headers['x-taskcast-event']),
          rawIndex: envelope.rawIndex as number,
          filteredIndex: envelope.filteredIndex as number,
          data: envelope.data,
          at: Date.now(),
        })
        setTimeout(() => res.writeHead(200).end('ok'), receiver.answerAfterMs)
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

  /** Resolves once `path` got a delivery of event `id`. */
  async waitFor(path: string, id: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.of(path).some((delivery) => delivery.id === id)) {
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

/**
 * The pids of the processes holding a lease of the task's webhook deliveries right now, read
 * from the task hash (the Redis adapter keeps each lease as '@dl:<key>' = '<expiry>,<pid>:<uuid>').
 */
export async function leaseHolders(keyPrefix: string, taskId: string): Promise<number[]> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
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
