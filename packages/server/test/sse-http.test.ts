// SSE over a real loopback socket: exact frames, resume, fan-out, concurrency, disconnects,
// slow consumers and shutdown. Streaming bugs live in the transport, so none of this uses app.request().
import { connect, type Socket } from 'node:net'
import { MemoryShortTermStore, type LogStart, type SSEEnvelope, type Task, type TaskEngineOptions } from '@taskcast/core'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastApp, type TaskcastAppOptions } from '../src/index.js'
import { json, makeEngine, startServer, waitFor, type TestEngine, type TestServer } from './harness.js'
import { SseReader, type SseFrame } from './sse-reader.js'

interface Running extends TestEngine {
  app: TaskcastApp
  server: TestServer
  url: string
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(
  options: Partial<TaskcastAppOptions> = {},
  mount?: string,
  store?: MemoryShortTermStore,
  engine?: Partial<TaskEngineOptions>,
): Promise<Running> {
  const harness = makeEngine({ store, engine })
  const app = createTaskcastApp({ engine: harness.engine, ...options })
  const fetchApp = mount ? new Hono().route(mount, app) : app
  const server = await startServer(fetchApp.fetch)
  cleanups.push(async () => {
    await app.close()
    await server.close()
    await harness.engine.stop()
  })
  return { ...harness, app, server, url: server.url + (mount ?? '') }
}

async function open(url: string, init: RequestInit = {}): Promise<SseReader> {
  const reader = await SseReader.open(url, init)
  cleanups.push(() => reader.cancel())
  return reader
}

async function request(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, init)
  return response
}

async function ok(url: string, init: RequestInit): Promise<unknown> {
  const response = await request(url, init)
  const body = response.status === 204 ? null : await response.json()
  if (!response.ok) throw new Error(`${init.method} ${url} → ${response.status} ${JSON.stringify(body)}`)
  return body
}

const envelope = (frame: SseFrame): SSEEnvelope => JSON.parse(frame.data!) as SSEEnvelope

describe('SSE over HTTP', () => {
  it('streams the README lifecycle: pending, running, accumulated deltas, completed, done', async () => {
    const { url } = await start()
    const task = (await ok(`${url}/tasks`, json({ type: 'llm.chat', params: { prompt: 'Tell me a story' }, ttl: 3600 }, { method: 'POST' }))) as { id: string }
    const reader = await open(`${url}/tasks/${task.id}/events`)
    expect(reader.response.status).toBe(200)
    expect(reader.response.headers.get('content-type')).toBe('text/event-stream')
    expect(reader.response.headers.get('cache-control')).toBe('no-cache')
    expect(reader.response.headers.get('x-accel-buffering')).toBe('no')

    await ok(`${url}/tasks/${task.id}/status`, json({ status: 'running' }, { method: 'PATCH' }))
    const deltas = ['Once upon', ' a time', '... The End.']
    const published: { id: string }[] = []
    for (const text of deltas) {
      published.push(
        (await ok(
          `${url}/tasks/${task.id}/events`,
          json({ type: 'llm.delta', level: 'info', data: { text }, seriesId: 'response', seriesMode: 'accumulate' }, { method: 'POST' }),
        )) as { id: string },
      )
    }
    await ok(`${url}/tasks/${task.id}/status`, json({ status: 'completed', result: { output: 'Once upon a time... The End.' } }, { method: 'PATCH' }))

    const frames = [] as SseFrame[]
    for (;;) {
      const frame = await reader.nextEvent()
      if (frame === null) break
      frames.push(frame)
    }
    expect(frames.map((f) => f.event)).toEqual(['taskcast.event', 'taskcast.event', 'taskcast.event', 'taskcast.event', 'taskcast.event', 'taskcast.done'])
    const envelopes = frames.slice(0, 5).map(envelope)
    expect(frames.slice(0, 5).map((f) => f.id)).toEqual(envelopes.map((e) => e.eventId))
    expect(envelopes.map((e) => [e.filteredIndex, e.rawIndex, e.type, e.data])).toEqual([
      [0, 0, 'taskcast:status', { status: 'running', previousStatus: 'pending' }],
      [1, 1, 'llm.delta', { text: 'Once upon' }],
      [2, 2, 'llm.delta', { text: ' a time' }],
      [3, 3, 'llm.delta', { text: '... The End.' }],
      [4, 4, 'taskcast:status', { status: 'completed', previousStatus: 'running', result: { output: 'Once upon a time... The End.' } }],
    ])
    expect(envelopes[1]).toEqual({
      filteredIndex: 1,
      rawIndex: 1,
      eventId: published[0]!.id,
      taskId: task.id,
      type: 'llm.delta',
      timestamp: envelopes[1]!.timestamp,
      level: 'info',
      data: { text: 'Once upon' },
      seriesId: 'response',
      seriesMode: 'accumulate',
      seriesAccField: 'text',
    })
    expect(frames[5]!.data).toBe('{"reason":"completed"}')
    expect(frames[5]!.id).toBeUndefined()
  })

  it('gives two subscribers of one task identical sequences', async () => {
    const { url, engine } = await start()
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')
    await engine.publishEvent('t', { type: 'early', data: 0 })
    const a = await open(`${url}/tasks/t/events`)
    const b = await open(`${url}/tasks/t/events`)
    for (let i = 1; i <= 50; i++) await engine.publishEvent('t', { type: 'tick', data: i })
    await engine.transitionTask('t', 'completed')
    const [ra, rb] = await Promise.all([a.readUntilDone(), b.readUntilDone()])
    expect(ra.envelopes.map((e) => e.rawIndex)).toEqual(Array.from({ length: 53 }, (_, i) => i))
    expect(rb.envelopes).toEqual(ra.envelopes)
    expect(rb.done.data).toBe(ra.done.data)
  })

  it('resumes after a refresh with since.index and with Last-Event-ID, giving exactly the tail', async () => {
    const { url, engine } = await start()
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')
    for (let i = 0; i < 10; i++) await engine.publishEvent('t', { type: i % 2 ? 'llm.delta' : 'tool.call', data: i })

    const first = await open(`${url}/tasks/t/events?types=llm.*&includeStatus=false`)
    const seen = [] as SSEEnvelope[]
    for (let i = 0; i < 3; i++) seen.push(envelope((await first.nextEvent())!))
    await first.cancel()
    expect(seen.map((e) => [e.filteredIndex, e.rawIndex])).toEqual([
      [0, 2],
      [1, 4],
      [2, 6],
    ])
    await engine.publishEvent('t', { type: 'llm.delta', data: 'live' })
    await engine.transitionTask('t', 'completed')

    const byIndex = await open(`${url}/tasks/t/events?types=llm.*&includeStatus=false&since.index=2`)
    const tail = await byIndex.readUntilDone()
    expect(tail.envelopes.map((e) => [e.filteredIndex, e.rawIndex, e.data])).toEqual([
      [3, 8, 7],
      [4, 10, 9],
      [5, 11, 'live'],
    ])

    const byHeader = await open(`${url}/tasks/t/events?types=llm.*&includeStatus=false&since.index=0`, {
      headers: { 'Last-Event-ID': seen[2]!.eventId },
    })
    expect((await byHeader.readUntilDone()).envelopes).toEqual(tail.envelopes)
  })

  it('delivers 0..N without gap or duplicate to a subscriber joining while 20 publishers write over HTTP', async () => {
    const { url, engine } = await start()
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')
    const publishers = 20
    const perPublisher = 100
    let published = 0
    const publishing = Array.from({ length: publishers }, async (_, p) => {
      for (let i = 0; i < perPublisher; i++) {
        await ok(`${url}/tasks/t/events`, json({ type: 'tick', data: { p, i } }, { method: 'POST' }))
        published++
      }
    })
    await waitFor(() => published >= 300, '300 events published')
    const reader = await open(`${url}/tasks/t/events`)
    await Promise.all(publishing)
    await engine.transitionTask('t', 'completed')
    const { envelopes, done } = await reader.readUntilDone(10_000)
    const total = publishers * perPublisher + 2
    expect(envelopes.map((e) => e.rawIndex)).toEqual(Array.from({ length: total }, (_, i) => i))
    expect(envelopes.map((e) => e.filteredIndex)).toEqual(Array.from({ length: total }, (_, i) => i))
    expect(new Set(envelopes.map((e) => e.eventId)).size).toBe(total)
    // Each publisher's events arrive in the order it published them.
    for (let p = 0; p < publishers; p++) {
      const own = envelopes.filter((e) => (e.data as { p?: number }).p === p).map((e) => (e.data as { i: number }).i)
      expect(own).toEqual(Array.from({ length: perPublisher }, (_, i) => i))
    }
    expect(done.data).toBe('{"reason":"completed"}')
  })

  it('holds the connection of a pending task, then streams it from the start once running', async () => {
    const { url, engine, broadcast } = await start()
    await engine.createTask({ id: 't' })
    const reader = await open(`${url}/tasks/t/events`)
    expect(reader.response.status).toBe(200)
    await waitFor(() => broadcast.listenerCount('t') === 1, 'the subscription')
    const first = reader.nextEvent()
    await engine.transitionTask('t', 'running')
    await engine.publishEvent('t', { type: 'a', data: 'x' })
    await engine.transitionTask('t', 'cancelled')
    expect(envelope((await first)!)).toMatchObject({ filteredIndex: 0, rawIndex: 0, type: 'taskcast:status', data: { status: 'running', previousStatus: 'pending' } })
    const { envelopes, done } = await reader.readUntilDone()
    expect(envelopes.map((e) => [e.rawIndex, e.type])).toEqual([
      [1, 'a'],
      [2, 'taskcast:status'],
    ])
    expect(done.data).toBe('{"reason":"cancelled"}')
  })

  it('replays a terminal task, sends done and closes', async () => {
    const { url, engine, broadcast } = await start()
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')
    await engine.publishEvent('t', { type: 'a' })
    await engine.transitionTask('t', 'failed', { error: { message: 'boom' } })
    const reader = await open(`${url}/tasks/t/events`)
    const { envelopes, done } = await reader.readUntilDone()
    expect(envelopes.map((e) => e.rawIndex)).toEqual([0, 1, 2])
    expect(done.data).toBe('{"reason":"failed"}')
    expect(broadcast.listenerCount('t')).toBe(0)
  })

  it('answers a missing task with 404 JSON before any stream', async () => {
    const { url } = await start()
    const response = await request(`${url}/tasks/missing/events`)
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({ error: { code: 'TASK_NOT_FOUND', message: 'task missing not found' } })
  })

  it('starts every stream with the retry field, then sends a `: ping` comment at the configured interval', async () => {
    const { url, engine } = await start({ sse: { heartbeatMs: 50 } })
    await engine.createTask({ id: 't' })
    const reader = await open(`${url}/tasks/t/events`)
    expect(await reader.next(2000)).toEqual({ retry: 1000 })
    expect(await reader.next(2000)).toEqual({ comment: 'ping' })
    expect(await reader.next(2000)).toEqual({ comment: 'ping' })
  })

  it('releases the broadcast subscription and reports the disconnect when the client goes away', async () => {
    const connects: string[] = []
    const disconnects: [string, string, number][] = []
    const { url, engine, broadcast } = await start({
      hooks: {
        onSSEConnect: (taskId, clientId) => void connects.push(`${taskId}/${clientId}`),
        onSSEDisconnect: (taskId, clientId, ms) => void disconnects.push([taskId, clientId, ms]),
      },
    })
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')
    const baseline = broadcast.listenerCount('t')
    const reader = await open(`${url}/tasks/t/events`)
    await reader.nextEvent()
    expect(broadcast.listenerCount('t')).toBe(baseline + 1)
    expect(engine.subscriptionCount).toBe(1)
    await reader.cancel()
    await waitFor(() => broadcast.listenerCount('t') === baseline, 'the listener to be released', 1000)
    expect(engine.subscriptionCount).toBe(0)
    expect(connects).toHaveLength(1)
    expect(disconnects).toHaveLength(1)
    expect(`${disconnects[0]![0]}/${disconnects[0]![1]}`).toBe(connects[0])
    expect(disconnects[0]![2]).toBeGreaterThanOrEqual(0)
  })

  it('releases everything when the client leaves before the stream started', async () => {
    let gate: Promise<void> | undefined
    let release!: () => void
    let waiting = false
    class SlowStore extends MemoryShortTermStore {
      override async getTask(taskId: string): Promise<Task | null> {
        if (gate) {
          waiting = true
          await gate
        }
        return super.getTask(taskId)
      }
    }
    const disconnects: string[] = []
    const { engine, broadcast, server } = await start(
      { hooks: { onSSEDisconnect: (taskId) => void disconnects.push(taskId) } },
      undefined,
      new SlowStore(),
    )
    await engine.createTask({ id: 't' })
    gate = new Promise<void>((resolve) => (release = resolve))
    const socket = connect(server.port, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write(`GET /tasks/t/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
    await waitFor(() => waiting, 'the route to read the task')
    socket.destroy()
    await waitFor(async () => (await server.connections()) === 0, 'the server to see the socket close')
    gate = undefined
    release()
    await waitFor(() => disconnects.length === 1, 'the stream to be released', 1000)
    expect(broadcast.listenerCount('t')).toBe(0)
    expect(engine.subscriptionCount).toBe(0)
  })

  it('drops a client that stops reading once its buffer passes the limit; it can then resume', async () => {
    const maxBufferedBytes = 64 * 1024
    const { url, engine, broadcast, server } = await start({ sse: { maxBufferedBytes } })
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')

    const received: Buffer[] = []
    let closed = false
    const socket: Socket = connect(server.port, '127.0.0.1')
    cleanups.push(async () => void socket.destroy())
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    socket.on('close', () => (closed = true))
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write(`GET /tasks/t/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`)
    await waitFor(() => broadcast.listenerCount('t') === 1, 'the raw client to subscribe')
    await waitFor(() => Buffer.concat(received).includes('\r\n\r\n'), 'response headers')
    socket.pause() // From here on the client reads nothing: kernel buffers fill, then the server's.

    const payload = 'z'.repeat(64 * 1024)
    let sent = 0
    while (broadcast.listenerCount('t') > 0) {
      if (sent >= 2000) throw new Error('the server never dropped the stuck client')
      await engine.publishEvent('t', { type: 'big', data: { n: sent, payload } })
      sent++
      // Let the transport run between publishes, as separate requests would.
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(engine.subscriptionCount).toBe(0)

    // The server closed the connection: after reading the backlog the client sees the end,
    // without the chunked terminator of a clean end.
    socket.resume()
    await waitFor(() => closed, 'the server to close the socket')
    const text = Buffer.concat(received).toString('latin1')
    expect(text.startsWith('HTTP/1.1 200')).toBe(true)
    const frames = parseSse(dechunk(text.slice(text.indexOf('\r\n\r\n') + 4)))
    expect(frames.length).toBeGreaterThan(0)
    expect(frames.length).toBeLessThan(sent)
    expect(text.endsWith('\r\n0\r\n\r\n')).toBe(false)
    expect(frames.map((f) => envelope(f).rawIndex)).toEqual(Array.from({ length: frames.length }, (_, i) => i))

    // Resume after the last complete frame: the rest, in order, from the store.
    const last = frames.at(-1)!
    const resumed = await open(`${url}/tasks/t/events?includeStatus=false`, { headers: { 'Last-Event-ID': last.id! } })
    await engine.transitionTask('t', 'completed')
    const { envelopes } = await resumed.readUntilDone(10_000)
    const firstMissing = envelope(last).rawIndex + 1
    expect(envelopes.map((e) => e.rawIndex)).toEqual(Array.from({ length: sent + 1 - firstMissing }, (_, i) => firstMissing + i))
  })

  it('does not drop a reading client whose history replay is larger than the buffer limit', async () => {
    const { url, engine } = await start({ sse: { maxBufferedBytes: 16 * 1024 } })
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')
    await engine.publishEvents('t', Array.from({ length: 500 }, (_, i) => ({ type: 'chunk', data: { i, pad: 'p'.repeat(1000) } })))
    await engine.transitionTask('t', 'completed')
    const reader = await open(`${url}/tasks/t/events`)
    const { envelopes } = await reader.readUntilDone()
    expect(envelopes).toHaveLength(502)
  })

  it('ends every open stream cleanly on app.close() and refuses new ones', async () => {
    const { url, app, engine, broadcast } = await start()
    await engine.createTask({ id: 'pending' })
    await engine.createTask({ id: 'running' })
    await engine.transitionTask('running', 'running')
    const a = await open(`${url}/tasks/pending/events`)
    const b = await open(`${url}/tasks/running/events`)
    expect(envelope((await b.nextEvent())!).rawIndex).toBe(0)
    await waitFor(() => broadcast.listenerCount() === 2, 'both subscriptions')
    await app.close()
    expect(await a.readToEnd()).toEqual([])
    expect(await b.readToEnd()).toEqual([])
    expect(broadcast.listenerCount()).toBe(0)
    expect(engine.subscriptionCount).toBe(0)
    const refused = await request(`${url}/tasks/running/events`)
    expect(refused.status).toBe(503)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE')
  })

  it('ends a stream opened with a credential when it expires', async () => {
    const expiresAt = Date.now() + 300
    const { url, engine, broadcast } = await start({
      auth: { mode: 'custom', authenticate: async () => ({ taskIds: ['t'], scope: ['event:subscribe'], claims: {}, expiresAt }) },
    })
    await engine.createTask({ id: 't' })
    const reader = await open(`${url}/tasks/t/events`)
    expect(reader.response.status).toBe(200)
    expect(await reader.readToEnd()).toEqual([])
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt)
    expect(broadcast.listenerCount('t')).toBe(0)
  })

  it('ends the streams of a task deleted through the API with a taskcast.error frame naming why', async () => {
    const { url, engine, broadcast } = await start()
    await engine.createTask({ id: 't' })
    const reader = await open(`${url}/tasks/t/events`)
    await waitFor(() => broadcast.listenerCount('t') === 1, 'the subscription')
    expect((await request(`${url}/tasks/t`, { method: 'DELETE' })).status).toBe(204)
    expect(await reader.readToEnd()).toEqual([
      {
        event: 'taskcast.error',
        data: '{"code":"TASK_NOT_FOUND","message":"task t was deleted","details":{"reason":"deleted"}}',
      },
    ])
    expect(broadcast.listenerCount('t')).toBe(0)
  })

  it('ends the streams of a task that vanished from the store, and never carries a task re-created under its id', async () => {
    const store = new MemoryShortTermStore()
    const { url, engine } = await start({}, undefined, store, { subscriptionCheckMs: 50 })
    await engine.createTask({ id: 'vanished' })
    await engine.createTask({ id: 'reused' })
    await engine.transitionTask('reused', 'running')
    const vanished = await open(`${url}/tasks/vanished/events`)
    const reused = await open(`${url}/tasks/reused/events`)
    expect(JSON.parse((await reused.nextEvent())!.data!)).toMatchObject({ rawIndex: 0, type: 'taskcast:status' })
    // Behind the engine's back, as when the store restarts empty or another process deletes.
    await store.deleteTask('vanished')
    await store.deleteTask('reused')
    await engine.createTask({ id: 'reused' })
    await engine.transitionTask('reused', 'running')
    await engine.publishEvent('reused', { type: 'newcomer', data: 1 })
    expect(await reused.readToEnd()).toEqual([
      {
        event: 'taskcast.error',
        data: '{"code":"TASK_NOT_FOUND","message":"task reused was deleted","details":{"reason":"deleted"}}',
      },
    ])
    expect(await vanished.readToEnd()).toEqual([
      {
        event: 'taskcast.error',
        data: '{"code":"TASK_NOT_FOUND","message":"task vanished is no longer stored","details":{"reason":"missing"}}',
      },
    ])
  })

  it('streams when mounted under a prefix of another Hono app', async () => {
    const { url, engine } = await start({}, '/taskcast')
    await ok(`${url}/tasks`, json({ id: 't' }, { method: 'POST' }))
    const reader = await open(`${url}/tasks/t/events`)
    await ok(`${url}/tasks/t/status`, json({ status: 'running' }, { method: 'PATCH' }))
    await ok(`${url}/tasks/t/events`, json({ type: 'a', data: 1 }, { method: 'POST' }))
    await engine.transitionTask('t', 'completed')
    const { envelopes, done } = await reader.readUntilDone()
    expect(envelopes.map((e) => e.type)).toEqual(['taskcast:status', 'a', 'taskcast:status'])
    expect(done.data).toBe('{"reason":"completed"}')
    expect((await request(`${url}/tasks/none/events`)).status).toBe(404)
  })
})

/** Decodes an HTTP/1.1 chunked body, keeping the complete chunks of a cut-off stream. */
function dechunk(body: string): string {
  let out = ''
  let at = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at)
    if (lineEnd < 0) return out
    const size = parseInt(body.slice(at, lineEnd), 16)
    if (!Number.isFinite(size) || size === 0) return out
    const start = lineEnd + 2
    if (start + size > body.length) return out
    out += body.slice(start, start + size)
    at = start + size + 2
  }
}

/** Complete `taskcast.event` frames of an SSE text. */
function parseSse(text: string): SseFrame[] {
  const blocks = text.split('\n\n')
  blocks.pop() // incomplete (or empty) tail
  return blocks
    .map((block) => {
      const frame: SseFrame = {}
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) frame.event = line.slice(7)
        else if (line.startsWith('id: ')) frame.id = line.slice(4)
        else if (line.startsWith('data: ')) frame.data = line.slice(6)
      }
      return frame
    })
    .filter((frame) => frame.event === 'taskcast.event')
}

describe('reads per SSE connect', () => {
  /** A memory store that counts what is read from it. */
  class CountingStore extends MemoryShortTermStore {
    taskReads = 0
    logReads = 0
    rangeReads = 0
    tailReads = 0
    override async getTask(taskId: string) {
      this.taskReads++
      return super.getTask(taskId)
    }
    override async getEvents(taskId: string, range?: { fromIndex?: number; toIndex?: number }) {
      if (range) this.rangeReads++
      else this.logReads++
      return super.getEvents(taskId, range)
    }
    override async getEventsFrom(taskId: string, start: LogStart) {
      this.tailReads++
      return super.getEventsFrom(taskId, start)
    }
    reset(): void {
      this.taskReads = this.logReads = this.rangeReads = this.tailReads = 0
    }
  }

  it('reads the task once and the log once (plus one range read to join live); a resume by id reads the end of the log only', async () => {
    const store = new CountingStore()
    const { url, engine } = await start({}, undefined, store)
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')
    await engine.publishEvents('t', Array.from({ length: 50 }, (_, i) => ({ type: 'a', data: i })))
    const [tenth] = await engine.getEvents('t', { filter: { since: { index: 9 } }, limit: 1 })

    store.reset()
    const fresh = await open(`${url}/tasks/t/events`)
    expect(JSON.parse((await fresh.nextEvent())!.data!).rawIndex).toBe(0)
    const resumed = await open(`${url}/tasks/t/events?since.id=${tenth!.id}`)
    expect(JSON.parse((await resumed.nextEvent())!.data!).rawIndex).toBe(11)
    await waitFor(() => engine.subscriptionCount === 2, 'two subscriptions')
    expect([store.taskReads, store.logReads, store.rangeReads, store.tailReads]).toEqual([2, 1, 2, 1])

    store.reset()
    await engine.transitionTask('t', 'completed')
    await Promise.all([fresh.readUntilDone(), resumed.readUntilDone()])
    store.reset()
    const finished = await open(`${url}/tasks/t/events?since.id=${tenth!.id}`)
    await finished.readUntilDone()
    // A finished task needs no live part: one task read, one read of the log's end.
    expect([store.taskReads, store.logReads, store.rangeReads, store.tailReads]).toEqual([1, 0, 0, 1])
  })

  it('shares one log read among the readers that connect while it is under way', async () => {
    /** Holds whole-log reads until `open()`: the connects pile up behind the first one. */
    class GatedStore extends CountingStore {
      private opened = false
      private waiting: (() => void)[] = []
      override async getEvents(taskId: string, range?: { fromIndex?: number; toIndex?: number }) {
        if (!range && !this.opened) await new Promise<void>((resolve) => this.waiting.push(resolve))
        return super.getEvents(taskId, range)
      }
      open(): void {
        this.opened = true
        for (const resolve of this.waiting.splice(0)) resolve()
      }
    }
    const store = new GatedStore()
    const { url, engine } = await start({}, undefined, store)
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')
    await engine.publishEvents('t', Array.from({ length: 30 }, (_, i) => ({ type: 'a', data: i })))
    await engine.transitionTask('t', 'completed')
    store.reset()

    const readers = Array.from({ length: 20 }, () => open(`${url}/tasks/t/events`))
    // Each connect reads the task (route) before it asks for the log.
    await waitFor(() => store.taskReads === 20, 'twenty task reads')
    await new Promise((resolve) => setImmediate(resolve))
    store.open()
    const streams = await Promise.all(readers)
    const received = await Promise.all(streams.map(async (reader) => (await reader.readUntilDone()).envelopes.map((envelope) => envelope.rawIndex)))
    expect(store.logReads).toBe(1)
    for (const indexes of received) expect(indexes).toEqual(Array.from({ length: 32 }, (_, i) => i))
  })
})
