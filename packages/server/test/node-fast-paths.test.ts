// SSE and request bodies on Node over a real socket, under both @hono/node-server majors:
// SSE written straight to the ServerResponse (headers from the final Hono response, frames
// shared between subscribers, coalesced writes), and publish bodies with their limits and errors.
import { request as httpRequest } from 'node:http'
import { serve as serveV2 } from '@hono/node-server'
import { serve as serveV1 } from '@hono/node-server-v1'
import type { SSEEnvelope } from '@taskcast/core'
import { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastApp, type TaskcastAppOptions } from '../src/index.js'
import { makeEngine, startServer, waitFor, type Serve, type TestEngine } from './harness.js'
import { SseReader } from './sse-reader.js'

const ADAPTERS: [string, Serve][] = [
  ['2.x', serveV2 as Serve],
  ['1.x', serveV1 as Serve],
]
/** The adapter of the block under way (set by its beforeEach). */
let serveWith: Serve = serveV2 as Serve

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(options: Partial<TaskcastAppOptions> = {}, host?: (app: TaskcastApp) => Hono) {
  const harness: TestEngine = makeEngine()
  const app = createTaskcastApp({ engine: harness.engine, ...options })
  const server = await startServer((host ? host(app) : app).fetch, serveWith)
  cleanups.push(async () => {
    await app.close()
    await server.close()
    await harness.engine.stop()
  })
  return { ...harness, app, server, url: server.url }
}

async function open(url: string, init: RequestInit = {}): Promise<SseReader> {
  const reader = await SseReader.open(url, init)
  cleanups.push(() => reader.cancel())
  return reader
}

/** A raw HTTP exchange, so the test controls framing (chunked bodies, exact bytes). */
function raw(
  url: string,
  method: string,
  path: string,
  body: Buffer | string | undefined,
  headers: Record<string, string | number>,
  chunks?: Buffer[],
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    })
    req.on('error', reject)
    if (chunks) {
      for (const chunk of chunks) req.write(chunk)
      req.end()
    } else {
      req.end(body)
    }
  })
}

const errorCode = (text: string): string => (JSON.parse(text) as { error: { code: string } }).error.code

describe.each(ADAPTERS)('with @hono/node-server %s', (_major, serve) => {
  beforeEach(() => {
    serveWith = serve
  })

  describe('SSE on Node', () => {
    it('sends the stream headers of the final response, middleware additions included, and not the adapter marker', async () => {
      const { url, engine } = await start({ cors: { origin: ['https://app.example'] } })
      await engine.createTask({ id: 't' })
      const reader = await open(`${url}/tasks/t/events`, { headers: { Origin: 'https://app.example' } })
      const headers = reader.response.headers
      expect(reader.response.status).toBe(200)
      expect(headers.get('content-type')).toBe('text/event-stream')
      expect(headers.get('cache-control')).toBe('no-cache')
      expect(headers.get('x-accel-buffering')).toBe('no')
      expect(headers.get('access-control-allow-origin')).toBe('https://app.example')
      // Added by the CORS middleware after the handler returned.
      expect(headers.get('vary')).toBe('Origin')
      expect(headers.get('x-hono-already-sent')).toBeNull()
    })

    it('sends headers that middleware adds after the handler even when a finished task ends the stream at once', async () => {
      const { url, engine } = await start({ cors: { origin: '*' } }, (app) => {
        const host = new Hono()
        host.use('*', async (c, next) => {
          await next()
          // A host middleware that takes a few turns of the microtask queue before adding its header.
          for (let i = 0; i < 20; i++) await Promise.resolve()
          c.header('X-Host', 'after')
        })
        host.route('/', app)
        return host
      })
      await engine.createTask({ id: 't' })
      await engine.transitionTask('t', 'running')
      await engine.transitionTask('t', 'completed')
      const reader = await open(`${url}/tasks/t/events`, { headers: { Origin: 'https://app.example' } })
      expect(reader.response.headers.get('content-type')).toBe('text/event-stream')
      expect(reader.response.headers.get('access-control-allow-origin')).toBe('*')
      expect(reader.response.headers.get('x-host')).toBe('after')
      const { envelopes, done } = await reader.readUntilDone()
      expect(envelopes.map((e) => e.rawIndex)).toEqual([0, 1])
      expect(done.data).toBe('{"reason":"completed"}')
    })

    it('gives each subscriber its own filtered positions while same-filter subscribers share frames', async () => {
      const { url, engine, broadcast } = await start()
      await engine.createTask({ id: 't' })
      await engine.transitionTask('t', 'running')
      const all = [await open(`${url}/tasks/t/events`), await open(`${url}/tasks/t/events`)]
      const onlyB = await open(`${url}/tasks/t/events?types=b.*&includeStatus=false`)
      const bare = await open(`${url}/tasks/t/events?wrap=false&types=a`)
      await waitFor(() => broadcast.listenerCount('t') === 4, 'four subscriptions')
      // One batch: every subscriber gets every event of it in the same turn.
      await engine.publishEvents('t', [
        { type: 'a', data: { n: 1 } },
        { type: 'b.x', data: { n: 2 } },
        { type: 'a', data: 'text\nlines' },
        { type: 'b.y', data: null },
      ])
      await engine.transitionTask('t', 'completed')

      const [first, second] = await Promise.all(all.map((reader) => reader.readUntilDone()))
      expect(first!.envelopes.map((e) => [e.filteredIndex, e.rawIndex, e.type])).toEqual([
        [0, 0, 'taskcast:status'],
        [1, 1, 'a'],
        [2, 2, 'b.x'],
        [3, 3, 'a'],
        [4, 4, 'b.y'],
        [5, 5, 'taskcast:status'],
      ])
      expect(second!.envelopes).toEqual(first!.envelopes)
      const filtered = await onlyB.readUntilDone()
      expect(filtered.envelopes.map((e) => [e.filteredIndex, e.rawIndex, e.data])).toEqual([
        [0, 2, { n: 2 }],
        [1, 4, null],
      ])
      const frames = await bare.readToEnd()
      expect(frames.map((f) => f.data)).toEqual([
        '{"status":"running","previousStatus":"pending"}',
        '{"n":1}',
        'text\nlines',
        '{"status":"completed","previousStatus":"running"}',
        '{"reason":"completed"}',
      ])
    })

    it('replays a task identically to every late joiner', async () => {
      const { url, engine } = await start()
      await engine.createTask({ id: 't' })
      await engine.transitionTask('t', 'running')
      await engine.publishEvents('t', Array.from({ length: 300 }, (_, i) => ({ type: i % 3 ? 'a' : 'b', data: { i, s: 'é€😀' } })))
      await engine.transitionTask('t', 'completed')
      const replays: SSEEnvelope[][] = []
      for (const query of ['', '', '?types=b', '']) {
        const reader = await open(`${url}/tasks/t/events${query}`)
        replays.push((await reader.readUntilDone()).envelopes as unknown as SSEEnvelope[])
      }
      expect(replays[0]).toHaveLength(302)
      expect(replays[0]![150]).toMatchObject({ filteredIndex: 150, rawIndex: 150, data: { i: 149, s: 'é€😀' } })
      expect(replays[1]).toEqual(replays[0])
      expect(replays[3]).toEqual(replays[0])
      expect(replays[2]!.map((e) => [e.filteredIndex, e.rawIndex])).toEqual([
        [0, 0],
        ...Array.from({ length: 100 }, (_, k) => [k + 1, 3 * k + 1]),
        [101, 301],
      ])
    })
  })

  describe('publish bodies on Node', () => {
    const path = '/tasks/t/events'

    async function running(options: Partial<TaskcastAppOptions> = {}, host?: (app: TaskcastApp) => Hono) {
      const started = await start(options, host)
      await started.engine.createTask({ id: 't' })
      await started.engine.transitionTask('t', 'running')
      return started
    }

    it('refuses a declared length over the limit, and a chunked body once it passes the limit', async () => {
      const { url, engine } = await running({ limits: { maxBodyBytes: 100 } })
      const big = JSON.stringify({ type: 'a', data: 'x'.repeat(200) })
      const declared = await raw(url, 'POST', path, big, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(big) })
      expect([declared.status, errorCode(declared.text)]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
      const chunked = await raw(url, 'POST', path, undefined, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, [
        Buffer.from(big.slice(0, 60)),
        Buffer.from(big.slice(60)),
      ])
      expect([chunked.status, errorCode(chunked.text)]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
      expect(JSON.parse(chunked.text).error.message).toBe('request body is larger than 100 bytes')
      const small = await raw(url, 'POST', path, undefined, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, [
        Buffer.from('{"type":'),
        Buffer.from('"a","data":"ü"}'),
      ])
      expect(small.status).toBe(201)
      expect((await engine.getEvents('t')).map((e) => e.data)).toEqual([{ status: 'running', previousStatus: 'pending' }, 'ü'])
    })

    it('reads a body split inside a UTF-8 character and drops a byte order mark, as Request.text() does', async () => {
      const { url, engine } = await running()
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"type":"a","data":"€"}')])
      const cut = body.indexOf(0xe2) + 1
      const response = await raw(url, 'POST', path, undefined, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, [
        body.subarray(0, cut),
        body.subarray(cut),
      ])
      expect(response.status).toBe(201)
      expect((await engine.getEvents('t')).at(-1)!.data).toBe('€')
    })

    it('answers malformed JSON, a non-JSON media type and an empty body with VALIDATION_ERROR', async () => {
      const { url } = await running()
      const malformed = await raw(url, 'POST', path, '{"type":', { 'Content-Type': 'application/json' })
      expect([malformed.status, JSON.parse(malformed.text).error.message]).toEqual([400, 'request body is not valid JSON'])
      const text = await raw(url, 'POST', path, '{"type":"a"}', { 'Content-Type': 'text/plain' })
      expect([text.status, errorCode(text.text)]).toEqual([400, 'VALIDATION_ERROR'])
      const empty = await raw(url, 'POST', path, '', { 'Content-Type': 'application/json', 'Content-Length': 0 })
      expect([empty.status, errorCode(empty.text)]).toEqual([400, 'VALIDATION_ERROR'])
    })

    it('still works when a middleware of the host app read the body first', async () => {
      const { url, engine } = await running({}, (app) => {
        const host = new Hono()
        host.use('*', async (c, next) => {
          if (c.req.method === 'POST') await c.req.text()
          await next()
        })
        host.route('/', app)
        return host
      })
      const response = await raw(url, 'POST', path, '[{"type":"a"},{"type":"b"}]', { 'Content-Type': 'application/json' })
      expect(response.status).toBe(201)
      expect((await engine.getEvents('t')).map((e) => e.type)).toEqual(['taskcast:status', 'a', 'b'])
    })
  })
})
