// WebSocket workers (SPEC §18, push mode) over a real server: offers, first accept wins,
// capacity, a closed socket giving its assigned tasks back, bad messages, auth and scopes.
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { createNodeWebSocket } from '@hono/node-ws'
import { STATUS_EVENT_TYPE, type CreateTaskInput } from '@taskcast/core'
import type { Hono } from 'hono'
import { SignJWT } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { createTaskcastApp, WORKER_WS_MAX_MESSAGE_BYTES, type TaskcastApp, type TaskcastAppOptions } from '../src/index.js'
import { headerAuth, makeEngine, waitFor, type TestEngine } from './harness.js'
import { TestWorkerSocket } from './workers-ws-client.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface WsApp extends TestEngine {
  app: TaskcastApp
  url: string
  /** Connected WebSocket workers, as `GET /workers` lists them. */
  wsWorkers(): Promise<Record<string, unknown>[]>
  stopApp(): Promise<void>
}

/** A Taskcast app with WebSocket workers on @hono/node-ws, as the CLI serves it. */
async function start(options: Partial<TaskcastAppOptions> = {}, headers: Record<string, string> = {}): Promise<WsApp> {
  const harness = makeEngine()
  let app: TaskcastApp | undefined
  // Used at upgrade time only, when `app` exists.
  const nodeWs = createNodeWebSocket({ app: { request: (...args: Parameters<Hono['request']>) => app!.request(...args) } as Hono })
  nodeWs.wss.options.maxPayload = WORKER_WS_MAX_MESSAGE_BYTES
  app = createTaskcastApp({ engine: harness.engine, upgradeWebSocket: nodeWs.upgradeWebSocket, ...options })
  const built = app
  let server!: ServerType
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: built.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port))
  })
  nodeWs.injectWebSocket(server)
  const url = `http://127.0.0.1:${port}`
  let stopped = false
  const stopApp = async () => {
    if (stopped) return
    stopped = true
    await built.close()
  }
  cleanups.push(async () => {
    await stopApp()
    for (const client of nodeWs.wss.clients) client.terminate()
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      ;(server as unknown as { closeAllConnections(): void }).closeAllConnections()
    })
    await harness.engine.stop()
  })
  const wsWorkers = async () => {
    const body = (await (await fetch(`${url}/workers`, { headers })).json()) as { workers: Record<string, unknown>[] }
    return body.workers.filter((worker) => worker.mode === 'ws')
  }
  return { ...harness, app: built, url, wsWorkers, stopApp }
}

async function connect(server: WsApp, hello: Record<string, unknown>, headers?: Record<string, string>): Promise<TestWorkerSocket> {
  const worker = await TestWorkerSocket.open(server.url, headers)
  cleanups.push(async () => void worker.socket.terminate())
  worker.send({ type: 'hello', ...hello })
  return worker
}

async function tasks(server: WsApp, count: number, input: CreateTaskInput = { type: 'job', assign: {} }): Promise<string[]> {
  const ids: string[] = []
  // Distinct createdAt, so that "oldest first" is one order.
  for (let i = 0; i < count; i++) {
    ids.push((await server.engine.createTask(input)).id)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return ids
}

describe('GET /workers/ws', () => {
  it('offers a pending task, assigns it on accept, and lists the worker', async () => {
    const server = await start()
    const [id] = await tasks(server, 1)
    await server.engine.createTask({ type: 'job' }) // never offered: no assign
    const worker = await connect(server, { workerId: 'w1', types: ['job'], capacity: 1 })
    const offer = await worker.next()
    expect(offer).toMatchObject({ type: 'offer', task: { id, status: 'pending' } })
    worker.send({ type: 'accept', taskId: id })
    expect(await worker.next()).toMatchObject({ type: 'assigned', task: { id, status: 'assigned', assignedTo: { workerId: 'w1' } } })
    expect(await server.engine.getTask(id!)).toMatchObject({ status: 'assigned', assignedTo: { workerId: 'w1' } })
    const [listed] = await server.wsWorkers()
    expect(listed).toEqual({ workerId: 'w1', types: ['job'], mode: 'ws', capacity: 1, assigned: 1, running: 0, connectedAt: expect.any(Number) })
    await server.engine.transitionTask(id!, 'running', { workerId: 'w1' })
    await waitFor(async () => (await server.wsWorkers())[0]?.running === 1, 'the hub to see the task running')
    expect(worker.unread).toBe(0)
  })

  it('counts connected WebSocket workers in /metrics, until their socket closes', async () => {
    const server = await start({ metrics: {} })
    const connected = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text()
      return Number(/^taskcast_workers_connected (\S+)$/m.exec(text)?.[1])
    }
    expect(await connected()).toBe(0)
    const [id] = await tasks(server, 1)
    const worker = await connect(server, { workerId: 'w1', types: ['job'], capacity: 1 })
    expect(await worker.next()).toMatchObject({ type: 'offer', task: { id } })
    expect(await connected()).toBe(1)
    worker.socket.close()
    await waitFor(async () => (await connected()) === 0, 'the hub to see the socket closed')
  })

  it('offers a task created after the hello', async () => {
    const server = await start()
    const worker = await connect(server, { workerId: 'w1' })
    await waitFor(async () => (await server.wsWorkers()).length === 1, 'the worker to join')
    const [id] = await tasks(server, 1)
    expect(await worker.next()).toMatchObject({ type: 'offer', task: { id } })
  })

  it('offers one task to two workers; of two accepts exactly one wins, the other hears taken', async () => {
    const server = await start()
    const [id] = await tasks(server, 1)
    const a = await connect(server, { workerId: 'a' })
    const b = await connect(server, { workerId: 'b' })
    expect((await a.next()).task?.id).toBe(id)
    expect((await b.next()).task?.id).toBe(id)
    a.send({ type: 'accept', taskId: id })
    b.send({ type: 'accept', taskId: id })
    const answers = [await a.next(), await b.next()]
    expect(answers.map((answer) => answer.type).sort()).toEqual(['assigned', 'taken'])
    const loser = answers[0]!.type === 'taken' ? a : b
    const winner = loser === a ? 'b' : 'a'
    expect(answers.find((answer) => answer.type === 'taken')).toEqual({ type: 'taken', taskId: id })
    expect((await server.engine.getTask(id!))?.assignedTo?.workerId).toBe(winner)
    // A late accept of the lost task hears taken again; one never offered is an error.
    loser.send({ type: 'accept', taskId: id })
    expect(await loser.next()).toEqual({ type: 'taken', taskId: id })
    const events = await server.engine.getEvents(id!)
    expect(events.filter((event) => event.type === STATUS_EVENT_TYPE)).toHaveLength(1)
  })

  it('tells a worker taken when another worker wins the task it was offered', async () => {
    const server = await start()
    const [id] = await tasks(server, 1)
    const a = await connect(server, { workerId: 'a' })
    const b = await connect(server, { workerId: 'b' })
    await a.next()
    await b.next()
    a.send({ type: 'accept', taskId: id })
    expect((await a.next()).type).toBe('assigned')
    expect(await b.next()).toEqual({ type: 'taken', taskId: id })
  })

  it('keeps a worker of capacity 2 at two tasks at once, offering a third when one completes', async () => {
    const server = await start()
    const ids = await tasks(server, 5)
    const worker = await connect(server, { workerId: 'w', capacity: 2 })
    const offered = [await worker.next(), await worker.next()]
    expect(offered.map((offer) => offer.task?.id)).toEqual(ids.slice(0, 2))
    for (const id of ids.slice(0, 2)) {
      worker.send({ type: 'accept', taskId: id })
      expect((await worker.next()).type).toBe('assigned')
    }
    await server.engine.transitionTask(ids[0]!, 'running', { workerId: 'w' })
    await server.engine.transitionTask(ids[1]!, 'running', { workerId: 'w' })
    await expect(worker.next(300)).rejects.toThrow('no message')
    expect(await server.wsWorkers()).toMatchObject([{ assigned: 0, running: 2 }])
    await server.engine.transitionTask(ids[0]!, 'completed', { result: { ok: true } })
    expect(await worker.next()).toMatchObject({ type: 'offer', task: { id: ids[2] } })
    expect(worker.unread).toBe(0)
  })

  it('does not offer a declined task to that worker again, and offers the next one', async () => {
    const server = await start()
    const ids = await tasks(server, 2)
    const worker = await connect(server, { workerId: 'w' })
    expect((await worker.next()).task?.id).toBe(ids[0])
    worker.send({ type: 'decline', taskId: ids[0] })
    expect((await worker.next()).task?.id).toBe(ids[1])
    worker.send({ type: 'decline', taskId: ids[1] })
    await expect(worker.next(300)).rejects.toThrow('no message')
  })

  it('gives the assigned tasks of a closed socket back at once (worker-lost); running ones stay', async () => {
    const server = await start()
    const ids = await tasks(server, 2)
    const worker = await connect(server, { workerId: 'w', capacity: 2 })
    expect([(await worker.next()).task?.id, (await worker.next()).task?.id]).toEqual(ids)
    for (const id of ids) {
      worker.send({ type: 'accept', taskId: id })
      expect((await worker.next()).type).toBe('assigned')
    }
    await server.engine.transitionTask(ids[1]!, 'running', { workerId: 'w' })
    await worker.close()
    await waitFor(async () => (await server.engine.getTask(ids[0]!))?.status === 'pending', 'the task to go back')
    const events = await server.engine.getEvents(ids[0]!)
    expect(events.at(-1)?.data).toEqual({ status: 'pending', previousStatus: 'assigned', reason: 'worker-lost' })
    expect((await server.engine.getTask(ids[1]!))?.status).toBe('running')
    expect(await server.wsWorkers()).toEqual([])
  })

  it('answers bad messages with errors and keeps the socket; a protocol violation closes it with 1008', async () => {
    const server = await start()
    const worker = await connect(server, { workerId: 'w' })
    await waitFor(async () => (await server.wsWorkers()).length === 1, 'the worker to join')
    const bad: unknown[] = ['not json', '[1,2]', { type: 'dance' }, { type: 'accept' }, { type: 'accept', taskId: 'never-offered' }, { type: 'decline', taskId: 'x' }]
    for (const message of bad) {
      worker.send(message)
      expect(await worker.next()).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR' })
    }
    worker.socket.send(Buffer.from([1, 2, 3]), { binary: true })
    expect(await worker.next()).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', message: 'messages are JSON in text frames' })
    worker.send({ type: 'hello', workerId: 'w' })
    expect(await worker.next()).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', message: 'hello was already said on this socket' })
    expect(await worker.closed).toBe(1008)
    await waitFor(async () => (await server.wsWorkers()).length === 0, 'the worker to leave')

    const early = await TestWorkerSocket.open(server.url)
    early.send({ type: 'accept', taskId: 'x' })
    expect(await early.next()).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', message: 'the first message must be one hello' })
    expect(await early.closed).toBe(1008)

    const badHello = await TestWorkerSocket.open(server.url)
    badHello.send({ type: 'hello', workerId: 'has space', capacity: 1 })
    expect(await badHello.next()).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR' })
    badHello.send({ type: 'hello', workerId: 'w', capacity: 101 })
    expect(await badHello.next()).toMatchObject({ type: 'error', code: 'VALIDATION_ERROR', message: 'capacity must be an integer from 1 to 100' })
    badHello.send({ type: 'hello', workerId: 'fine' })
    await waitFor(async () => (await server.wsWorkers()).length === 1, 'a better hello to join')

    const huge = await connect(server, { workerId: 'big' })
    huge.send({ type: 'accept', taskId: 'x'.repeat(WORKER_WS_MAX_MESSAGE_BYTES) })
    expect(await huge.closed).toBe(1009)

    const [id] = await tasks(server, 1)
    expect((await badHello.next()).task?.id).toBe(id)
    const fresh = await connect(server, { workerId: 'after' })
    expect((await fresh.next()).task?.id).toBe(id)
  })

  it('survives 1,000 hello and close cycles and holds no connection afterwards', async () => {
    const server = await start()
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const worker = await TestWorkerSocket.open(server.url)
          worker.send({ type: 'hello', workerId: `w-${round}-${i}`, capacity: 3 })
          if (i % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
          worker.socket.close()
          await worker.closed
        }),
      )
    }
    await waitFor(async () => (await server.wsWorkers()).length === 0, 'every worker to leave')
    const [id] = await tasks(server, 1)
    const worker = await connect(server, { workerId: 'last' })
    expect((await worker.next()).task?.id).toBe(id)
  }, 30_000)

  it('on app.close() gives the assigned tasks back and closes the sockets with 1001', async () => {
    const server = await start()
    const [id] = await tasks(server, 1)
    const worker = await connect(server, { workerId: 'w' })
    await worker.next()
    worker.send({ type: 'accept', taskId: id })
    expect((await worker.next()).type).toBe('assigned')
    await server.stopApp()
    expect((await server.engine.getTask(id!))?.status).toBe('pending')
    expect(await worker.closed).toBe(1001)
  })

  it('is not served without upgradeWebSocket', async () => {
    const harness = makeEngine()
    const app = createTaskcastApp({ engine: harness.engine })
    const response = await app.request('/workers/ws', { headers: { upgrade: 'websocket' } })
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } })
    await app.close()
    await harness.engine.stop()
  })
})

describe('GET /workers/ws auth', () => {
  it('refuses an upgrade without worker:pull with 403, and takes one with it', async () => {
    const server = await start({ auth: { mode: 'custom', authenticate: headerAuth } }, { 'x-scope': 'task:manage' })
    await expect(TestWorkerSocket.open(server.url, { 'x-scope': 'task:manage' })).rejects.toThrow('upgrade refused: 403')
    const [id] = await tasks(server, 1)
    const worker = await connect(server, { workerId: 'w' }, { 'x-scope': 'worker:pull' })
    expect((await worker.next()).task?.id).toBe(id)
  })

  const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long'
  const sign = (scope: string[]) =>
    new SignJWT({ taskIds: '*', scope }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET))

  it('takes the token of the hello when the upgrade had none', async () => {
    const token = await sign(['worker:pull'])
    const server = await start({ auth: { mode: 'jwt', jwt: { secret: SECRET } } }, { authorization: `Bearer ${await sign(['*'])}` })
    const [id] = await tasks(server, 1)
    const worker = await connect(server, { workerId: 'w', token })
    expect((await worker.next()).task?.id).toBe(id)
  })

  it('refuses a hello without a valid token with worker:pull, closing 1008; a bad header token gets 401', async () => {
    const server = await start({ auth: { mode: 'jwt', jwt: { secret: SECRET } } })
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'UNAUTHORIZED'],
      [{ token: 'not-a-jwt' }, 'UNAUTHORIZED'],
      [{ token: await sign(['task:manage']) }, 'FORBIDDEN'],
    ]
    for (const [extra, code] of cases) {
      const worker = await connect(server, { workerId: 'w', ...extra })
      expect(await worker.next()).toMatchObject({ type: 'error', code })
      expect(await worker.closed).toBe(1008)
    }
    await expect(TestWorkerSocket.open(server.url, { authorization: 'Bearer nope' })).rejects.toThrow('upgrade refused: 401')
    await expect(TestWorkerSocket.open(server.url, { authorization: `Bearer ${await sign(['task:manage'])}` })).rejects.toThrow('upgrade refused: 403')
  })
})
