// A crowd of readers that do not read: 1,000 SSE subscribers join a finished task holding
// 10 MiB of events at once, on a real process on Redis, and leave their sockets unread. The
// server may hold a window per reader, never a copy of the log: what it holds after a forced GC
// (heap and Buffers) must grow by less than 200 MiB. RSS is printed beside it, not asserted: on a
// loaded machine the allocator keeps pages of transient reads, and it measured 275 MiB once in
// a full CI run against 55–69 MiB alone (the benchmark reports RSS on a quiet machine). Then
// each reads to the end and must get the whole log exactly once, in order.
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { sdk } from './support/publisher.js'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL, servicesAvailable } from './support/services.js'
import { TaskcastServer } from './support/taskcast-process.js'

const READERS = 1000
const EVENT_BYTES = 1024
const EVENTS = (10 * 1024 * 1024) / EVENT_BYTES
/** status running, the events, status completed */
const LOG_LENGTH = EVENTS + 2
const HELD_GROWTH_LIMIT = 200 * 1024 * 1024
const RAW_INDEX = Buffer.from('"rawIndex":')
const DONE = Buffer.from('event: taskcast.done')
/** Longer than any marker with its number: what is kept of a chunk for the next one. */
const TAIL_BYTES = 32

/**
 * A raw SSE reader that checks, as the bytes arrive, that it gets rawIndex 0, 1, 2… and then
 * the done frame; it keeps counters, not the stream.
 */
class CountingReader {
  next = 0
  outOfOrder = 0
  done = false
  readonly ended: Promise<void>
  /** The first bytes came; the reader stops reading there until `resume()`. */
  readonly answered: Promise<void>
  private tail = Buffer.alloc(0)
  private readonly socket: Socket

  constructor(url: URL, path: string) {
    this.socket = connect(Number(url.port), url.hostname)
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`)
    let answered!: () => void
    this.answered = new Promise((resolve) => (answered = resolve))
    this.socket.once('data', () => {
      this.socket.pause()
      answered()
    })
    this.socket.on('data', (chunk: Buffer) => this.scan(chunk))
    this.ended = new Promise((resolve, reject) => {
      this.socket.on('end', () => resolve())
      this.socket.on('error', reject)
    })
  }

  resume(): void {
    this.socket.resume()
  }

  /**
   * Counts each `"rawIndex":N` whose number is complete (a digit run followed by another byte);
   * one cut by the chunk's end is counted with the next chunk, from the kept tail.
   */
  private scan(chunk: Buffer): void {
    const bytes = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk])
    let keepFrom = Math.max(0, bytes.length - TAIL_BYTES)
    for (let at = bytes.indexOf(RAW_INDEX); at !== -1; at = bytes.indexOf(RAW_INDEX, at + 1)) {
      let end = at + RAW_INDEX.length
      let value = 0
      while (end < bytes.length && bytes[end]! >= 0x30 && bytes[end]! <= 0x39) value = value * 10 + bytes[end++]! - 0x30
      if (end === bytes.length) {
        keepFrom = Math.min(keepFrom, at)
        break
      }
      if (value === this.next) this.next++
      else this.outOfOrder++
      keepFrom = Math.max(keepFrom, end)
    }
    if (bytes.includes(DONE)) this.done = true
    this.tail = Buffer.from(bytes.subarray(Math.min(keepFrom, bytes.length)))
  }
}

if (await servicesAvailable('late joiners: a crowd that does not read', ['redis'])) {
  describe('1,000 late joiners of a 10 MiB log, on Redis', () => {
    const keyPrefix = keyPrefixFor('joiners')
    let server: TaskcastServer

    beforeAll(async () => {
      server = await TaskcastServer.start('A', sharedConfig({ redisUrl: REDIS_URL, keyPrefix }), { measureMemory: true })
    })
    afterAll(async () => {
      await server?.stop()
      await deleteKeysUnder(keyPrefix)
    })

    it('holds a window per reader, not a copy of the log, and gives every reader the whole log once', { timeout: 120_000 }, async () => {
      const client = sdk(server.url)
      const task = await client.createTask({})
      await client.transitionTask(task.id, 'running')
      const pad = 'x'.repeat(EVENT_BYTES - 40)
      for (let from = 0; from < EVENTS; from += 512) {
        await client.publishEvents(task.id, Array.from({ length: 512 }, (_, i) => ({ type: 'chunk', data: { i: from + i, pad } })))
      }
      await client.transitionTask(task.id, 'completed')

      const before = await server.memory()
      const url = new URL(server.url)
      const readers = Array.from({ length: READERS }, () => new CountingReader(url, `/tasks/${task.id}/events`))
      await Promise.all(readers.map((reader) => reader.answered))
      const after = await server.memory()
      const held = after.heapUsed + after.external - (before.heapUsed + before.external)
      console.log(`[late joiners] heap and Buffers growth ${(held / 1048576).toFixed(1)} MiB`)
      const reading = Date.now()
      for (const reader of readers) reader.resume()
      await Promise.all(readers.map((reader) => reader.ended))
      console.log(`[late joiners] ${READERS} readers read ${LOG_LENGTH} events each in ${((Date.now() - reading) / 1000).toFixed(1)} s`)

      console.log(`[late joiners] RSS growth while ${READERS} readers sat unread: ${((after.rss - before.rss) / 1048576).toFixed(1)} MiB`)
      expect(held).toBeLessThan(HELD_GROWTH_LIMIT)
      const incomplete = readers
        .filter((reader) => reader.next !== LOG_LENGTH || reader.outOfOrder > 0 || !reader.done)
        .map(({ next, outOfOrder, done }) => ({ next, outOfOrder, done }))
      expect({ count: incomplete.length, first: incomplete.slice(0, 3) }).toEqual({ count: 0, first: [] })
    })
  })
}
