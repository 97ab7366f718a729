// Every client mistake gets its 4xx status and stable code, and leaves stored state exactly as it was.
import type { TaskcastErrorCode } from '@taskcast/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastApp } from '../src/index.js'
import { connect } from 'node:net'
import { json, makeEngine, startServer, type TestEngine } from './harness.js'

interface Case {
  name: string
  path: string
  init?: RequestInit
  status: number
  code: TaskcastErrorCode
}

const post = (body: unknown): RequestInit => json(body, { method: 'POST' })
const patch = (body: unknown): RequestInit => json(body, { method: 'PATCH' })
const raw = (method: string, text: string, contentType = 'application/json'): RequestInit => ({
  method,
  body: text,
  headers: { 'Content-Type': contentType },
})
const big = 'x'.repeat(1_048_576)

const cases: Case[] = [
  // POST /tasks
  { name: 'create: malformed JSON', path: '/tasks', init: raw('POST', '{"id":'), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: body is not JSON', path: '/tasks', init: raw('POST', 'id=x', 'application/x-www-form-urlencoded'), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: JSON sent as text/plain', path: '/tasks', init: raw('POST', '{}', 'text/plain'), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: body is an array', path: '/tasks', init: post([]), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: body is a string', path: '/tasks', init: post('"task"'), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: unknown field', path: '/tasks', init: post({ type: 'a', colour: 'red' }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: type of wrong type', path: '/tasks', init: post({ type: 5 }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: params not an object', path: '/tasks', init: post({ params: [1] }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: ttl 0', path: '/tasks', init: post({ ttl: 0 }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: ttl -1', path: '/tasks', init: post({ ttl: -1 }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: ttl "5"', path: '/tasks', init: post({ ttl: '5' }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: ttl null', path: '/tasks', init: post({ ttl: null }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: invalid id', path: '/tasks', init: post({ id: 'has space' }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: duplicate id', path: '/tasks', init: post({ id: 'r' }), status: 409, code: 'DUPLICATE_TASK' },
  { name: 'create: webhook url not http', path: '/tasks', init: post({ webhooks: [{ url: 'ftp://example.com' }] }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'create: body over the limit', path: '/tasks', init: post({ type: 'a', metadata: { big } }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  // PATCH /tasks/:id/status
  { name: 'transition: malformed JSON', path: '/tasks/r/status', init: raw('PATCH', '{"status":"completed"'), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'transition: empty body', path: '/tasks/r/status', init: { method: 'PATCH' }, status: 400, code: 'VALIDATION_ERROR' },
  { name: 'transition: body is an array', path: '/tasks/r/status', init: patch(['completed']), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'transition: unknown field', path: '/tasks/r/status', init: patch({ status: 'completed', why: 'done' }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'transition: invalid status name', path: '/tasks/r/status', init: patch({ status: 'done' }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'transition: status of wrong type', path: '/tasks/r/status', init: patch({ status: 1 }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'transition: result not an object', path: '/tasks/r/status', init: patch({ status: 'completed', result: 'ok' }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'transition: result with failed', path: '/tasks/r/status', init: patch({ status: 'failed', result: {} }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'transition: error without message', path: '/tasks/r/status', init: patch({ status: 'failed', error: { code: 'X' } }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'transition: pending to completed', path: '/tasks/p/status', init: patch({ status: 'completed' }), status: 400, code: 'INVALID_TRANSITION' },
  { name: 'transition: pending to timeout through the API', path: '/tasks/p/status', init: patch({ status: 'timeout' }), status: 400, code: 'INVALID_TRANSITION' },
  { name: 'transition: to the current status', path: '/tasks/r/status', init: patch({ status: 'running' }), status: 400, code: 'INVALID_TRANSITION' },
  { name: 'transition: out of a terminal status', path: '/tasks/c/status', init: patch({ status: 'running' }), status: 400, code: 'INVALID_TRANSITION' },
  // POST /tasks/:id/events
  { name: 'publish: malformed JSON', path: '/tasks/r/events', init: raw('POST', '[{"type":"a"},'), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'publish: empty body', path: '/tasks/r/events', init: { method: 'POST' }, status: 400, code: 'VALIDATION_ERROR' },
  { name: 'publish: body is a number', path: '/tasks/r/events', init: post(7), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'publish: unknown field', path: '/tasks/r/events', init: post({ type: 'a', colour: 'red' }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'publish: missing type', path: '/tasks/r/events', init: post({ data: 1 }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'publish: type of wrong type', path: '/tasks/r/events', init: post({ type: ['a'] }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'publish: reserved type prefix', path: '/tasks/r/events', init: post({ type: 'taskcast:status', data: { status: 'completed' } }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'publish: bad level', path: '/tasks/r/events', init: post({ type: 'a', level: 'fatal' }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'publish: bad series mode', path: '/tasks/r/events', init: post({ type: 'a', seriesId: 's', seriesMode: 'append' }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'publish: batch with one invalid item', path: '/tasks/r/events', init: post([{ type: 'a' }, { type: 'b', level: 'loud' }]), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'publish: batch over the limit', path: '/tasks/r/events', init: post(Array.from({ length: 1001 }, () => ({ type: 'a' }))), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'publish: body over the limit', path: '/tasks/r/events', init: post({ type: 'a', data: big }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'publish: to a pending task', path: '/tasks/p/events', init: post({ type: 'a' }), status: 400, code: 'TASK_NOT_RUNNING' },
  { name: 'publish: to a completed task', path: '/tasks/c/events', init: post({ type: 'a' }), status: 400, code: 'TASK_NOT_RUNNING' },
  // GET /tasks/:id/events (SSE) and /history: query values
  { name: 'subscribe: unknown since.id', path: '/tasks/r/events?since.id=01ARZ3NDEKTSV4RRFFQ69G5FAV', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'subscribe: unknown Last-Event-ID', path: '/tasks/r/events', init: { headers: { 'Last-Event-ID': 'nope' } }, status: 400, code: 'VALIDATION_ERROR' },
  { name: 'subscribe: since.index -1', path: '/tasks/r/events?since.index=-1', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'subscribe: since.index abc', path: '/tasks/r/events?since.index=abc', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'subscribe: since.timestamp 1.5', path: '/tasks/r/events?since.timestamp=1.5', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'subscribe: limit 0', path: '/tasks/r/events?limit=0', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'subscribe: levels fatal', path: '/tasks/r/events?levels=info,fatal', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'subscribe: includeStatus maybe', path: '/tasks/r/events?includeStatus=maybe', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'subscribe: wrap yes', path: '/tasks/r/events?wrap=yes', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'subscribe: seriesFormat full', path: '/tasks/r/events?seriesFormat=full', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'history: unknown since.id', path: '/tasks/r/events/history?since.id=nope', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'history: limit x', path: '/tasks/r/events/history?limit=x', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'history: levels fatal', path: '/tasks/r/events/history?levels=fatal', status: 400, code: 'VALIDATION_ERROR' },
]

describe('bad input', () => {
  let harness: TestEngine
  let app: TaskcastApp
  const writes = { created: 0, transitions: 0, published: 0 }

  async function snapshot(): Promise<unknown> {
    const ids = ['p', 'r', 'c']
    return {
      tasks: await Promise.all(ids.map((id) => harness.engine.getTask(id))),
      events: await Promise.all(ids.map((id) => harness.engine.getEvents(id))),
      writes: { ...writes },
    }
  }

  beforeAll(async () => {
    harness = makeEngine({
      hooks: {
        onTaskCreated: () => void writes.created++,
        onTaskTransition: () => void writes.transitions++,
        onEventPublished: () => void writes.published++,
      },
    })
    app = createTaskcastApp({ engine: harness.engine })
    const { engine } = harness
    await engine.createTask({ id: 'p' })
    await engine.createTask({ id: 'r' })
    await engine.transitionTask('r', 'running')
    await engine.publishEvents('r', [{ type: 'a', data: 1 }, { type: 'b', data: 2 }])
    await engine.createTask({ id: 'c' })
    await engine.transitionTask('c', 'running')
    await engine.transitionTask('c', 'completed')
  })
  afterAll(() => app.close())

  it.each(cases)('$name → $status $code', async ({ path, init, status, code }) => {
    const before = await snapshot()
    const response = await app.request(path, init)
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe(code)
    expect(typeof body.error.message).toBe('string')
    expect(body.error.message.length).toBeGreaterThan(0)
    expect(await snapshot()).toEqual(before)
  })

  it('answers an oversized body it was told the length of over a real socket, however slowly the client sends it', async () => {
    const server = await startServer(app.fetch)
    const bodyBytes = 3 * 1_048_576
    const half = Buffer.alloc(bodyBytes / 2, 'x')
    try {
      const socket = connect(server.port, '127.0.0.1')
      let answer = ''
      const answered = new Promise<void>((resolve, reject) => {
        socket.on('data', (chunk) => {
          answer += chunk.toString()
          if (answer.includes('PAYLOAD_TOO_LARGE')) resolve()
        })
        socket.on('error', reject)
      })
      const sent = (data: string | Buffer) =>
        new Promise<void>((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())))
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
      await sent(`POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bodyBytes}\r\n\r\n`)
      await sent(half)
      // The client pauses mid-body, longer than an adapter drains an unread body for: the
      // rest of the body must still go out, and the answer come.
      await new Promise((resolve) => setTimeout(resolve, 800))
      await sent(half)
      await answered
      socket.destroy()
      expect(answer.startsWith('HTTP/1.1 413')).toBe(true)
    } finally {
      await server.close()
    }
  })

  it('cuts a streamed (chunked) body over the limit while reading it', async () => {
    const before = await snapshot()
    const chunk = new TextEncoder().encode(`{"type":"a","data":"${'y'.repeat(64 * 1024)}`)
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Endless: the limit must stop reading, not the end of the body.
        sent += chunk.byteLength
        controller.enqueue(chunk)
      },
    })
    const response = await app.request('/tasks/r/events', {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json' },
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(sent).toBeLessThan(2 * 1_048_576)
    expect(await snapshot()).toEqual(before)
  })

  it('needs webhook:create to create a task with webhooks', async () => {
    const restricted = createTaskcastApp({
      engine: harness.engine,
      auth: { mode: 'custom', authenticate: async () => ({ taskIds: '*', scope: ['task:create'], claims: {} }) },
      webhooks: { allowPrivateNetworks: true },
    })
    try {
      const before = await snapshot()
      const response = await restricted.request('/tasks', post({ id: 'hooked', webhooks: [{ url: 'http://127.0.0.1:9/' }] }))
      expect(response.status).toBe(403)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN')
      expect(await harness.engine.getTask('hooked')).toBeNull()
      expect(await snapshot()).toEqual(before)
      expect((await restricted.request('/tasks', post({ id: 'plain' }))).status).toBe(201)
    } finally {
      await restricted.close()
    }
  })
})
