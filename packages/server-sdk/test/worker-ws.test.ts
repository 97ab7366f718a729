// serverClient.worker({ mode: 'ws' }) (SPEC §18 push mode) against a fake `GET /workers/ws`
// served next to a real Taskcast app on the same loopback port: the fake speaks the protocol
// (hello, offer, accept/decline, assigned, taken, error) as each test scripts it, and assigns
// accepted tasks in the real engine, so the worker's moves and the handler's publishes go to the
// real HTTP API. It accepts up to capacity and declines past it, takes `taken` in its stride,
// says hello again after a drop, backs off after 1008 closes, reports `error` messages and goes
// on, and stops by closing its socket once its handlers are done.
import { serve } from '@hono/node-server'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskcastError, TaskEngine, type Task } from '@taskcast/core'
import { createTaskcastApp } from '@taskcast/server'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { TaskcastServerClient, type TaskcastWorker, type WorkerErrorContext, type WorkerOptions } from '../src/index.js'
import { workerSocketUrl } from '../src/worker-socket.js'

type Message = Record<string, unknown> & { type: string }

/** One worker's socket as the fake server sees it: what the worker sent, in order. */
class FakeConnection {
  readonly received: Message[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  private readonly waiters: (() => void)[] = []

  constructor(
    readonly socket: WebSocket,
    readonly authorization: string | undefined,
    private readonly engine: TaskEngine,
  ) {
    socket.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as Message)
      for (const wake of this.waiters.splice(0)) wake()
    })
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })))
  }

  /** The worker's message number `n` (0: the hello), once it arrived. */
  async message(n: number): Promise<Message> {
    while (this.received.length <= n) await new Promise<void>((resolve) => this.waiters.push(resolve))
    return this.received[n]!
  }

  send(message: Message): void {
    this.socket.send(JSON.stringify(message))
  }

  offer(task: Task): void {
    this.send({ type: 'offer', task })
  }

  /** Assigns `task` to the worker in the engine, as the server does on an accept, and says so. */
  async assign(task: Task): Promise<void> {
    const hello = await this.message(0)
    const assigned = await this.engine.assignTask(task.id, { workerId: hello.workerId as string })
    this.send({ type: 'assigned', task: assigned })
  }
}

/** A Taskcast app whose port also upgrades `GET /workers/ws` to a fake worker socket. */
class FakeWorkerServer {
  readonly connections: FakeConnection[] = []
  /** When each connection was made (ms since epoch). */
  readonly connectedAt: number[] = []
  url = ''
  readonly engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore() })
  private readonly app = createTaskcastApp({ engine: this.engine })
  private readonly sockets = new WebSocketServer({ noServer: true })
  private readonly server = serve({ fetch: (request: Request) => this.app.fetch(request), port: 0, hostname: '127.0.0.1' })
  private readonly waiters: (() => void)[] = []
  /** What each new connection does first (a test that refuses every hello). */
  onConnection: (connection: FakeConnection) => void = () => {}

  async start(): Promise<void> {
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (request.url !== '/workers/ws') return socket.destroy()
      this.sockets.handleUpgrade(request, socket, head, (ws) => {
        const connection = new FakeConnection(ws, request.headers.authorization, this.engine)
        this.connections.push(connection)
        this.connectedAt.push(Date.now())
        this.onConnection(connection)
        for (const wake of this.waiters.splice(0)) wake()
      })
    })
    await new Promise<void>((resolve) => (this.server.listening ? resolve() : this.server.once('listening', () => resolve())))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** Connection number `n` (0: the first), once the worker made it. */
  async connection(n: number): Promise<FakeConnection> {
    while (this.connections.length <= n) await new Promise<void>((resolve) => this.waiters.push(resolve))
    return this.connections[n]!
  }

  /** Forgets the connections of the test before. */
  reset(): void {
    this.connections.splice(0)
    this.connectedAt.splice(0)
    this.onConnection = () => {}
  }

  async close(): Promise<void> {
    for (const client of this.sockets.clients) client.terminate()
    this.sockets.close()
    await this.app.close()
    ;(this.server as unknown as { closeAllConnections(): void }).closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
    await this.engine.stop()
  }
}

const fake = new FakeWorkerServer()
let sdk: TaskcastServerClient
beforeAll(async () => {
  await fake.start()
  sdk = new TaskcastServerClient({ baseUrl: fake.url })
})
afterAll(() => fake.close())

const workers: TaskcastWorker[] = []
/** What workers reported without a test asking for it. */
const unexpected: [unknown, WorkerErrorContext][] = []
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()))
  fake.reset()
  expect(unexpected.splice(0)).toEqual([])
})

function startWorker(options: Omit<WorkerOptions, 'mode'>, client = sdk): TaskcastWorker {
  const worker = client.worker({ mode: 'ws', WebSocket, onError: (error, context) => unexpected.push([error, context]), ...options })
  workers.push(worker)
  return worker
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** A handler that runs until its task's gate opens, and the gates by task id. */
function gatedHandler(): { handler: WorkerOptions['handler']; started: (taskId: string) => Promise<void>; open: (taskId: string) => void } {
  type Gate = ReturnType<typeof deferred<void>>
  const starts = new Map<string, Gate>()
  const gates = new Map<string, Gate>()
  const entry = (map: Map<string, Gate>, id: string): Gate => map.get(id) ?? map.set(id, deferred()).get(id)!
  return {
    handler: async (task) => {
      entry(starts, task.id).resolve()
      await entry(gates, task.id).promise
      return { ran: task.id }
    },
    started: (taskId) => entry(starts, taskId).promise,
    open: (taskId) => entry(gates, taskId).resolve(),
  }
}

/** Who answered what, from the worker's messages after its hello. */
function answers(connection: FakeConnection): string[] {
  return connection.received.slice(1).map((message) => `${message.type}:${message.taskId as string}`)
}

/** The error a worker reported, as code, message, close code and context. */
function reported(error: unknown, context: WorkerErrorContext): [string, string, unknown, WorkerErrorContext] {
  const { code, message, details } = error as TaskcastError
  return [code, message, details?.closeCode, context]
}

describe('worker ws: connecting', () => {
  it('says hello with its identity, and sends the token in the Authorization header', async () => {
    const client = new TaskcastServerClient({ baseUrl: fake.url, token: async () => 'secret' })
    startWorker({ workerId: 'w-hello', types: ['hello.*'], tags: ['gpu'], capacity: 2, handler: async () => ({}) }, client)
    const connection = await fake.connection(0)
    expect(await connection.message(0)).toEqual({ type: 'hello', workerId: 'w-hello', types: ['hello.*'], tags: ['gpu'], capacity: 2 })
    expect(connection.authorization).toBe('Bearer secret')
  })

  it('sends the token in the hello with a WebSocket that cannot set headers (the standard API)', async () => {
    // Only `new WebSocket(url)`, as in browsers and Node 22's global: no `terminate()`, no headers.
    class StandardWebSocket {
      constructor(url: string) {
        return new WebSocket(url)
      }
    }
    const client = new TaskcastServerClient({ baseUrl: fake.url, token: 'secret' })
    startWorker({ workerId: 'w-standard', handler: async () => ({}), WebSocket: StandardWebSocket as never }, client)
    const connection = await fake.connection(0)
    expect(await connection.message(0)).toEqual({ type: 'hello', workerId: 'w-standard', capacity: 1, token: 'secret' })
    expect(connection.authorization).toBeUndefined()
  })

  it('connects to /workers/ws of the base URL: http becomes ws, https becomes wss', () => {
    expect(workerSocketUrl('http://127.0.0.1:3721')).toBe('ws://127.0.0.1:3721/workers/ws')
    expect(workerSocketUrl('https://taskcast.example.com/api/')).toBe('wss://taskcast.example.com/api/workers/ws')
  })

  it('refuses mode "ws" with no WebSocket at all (Node 20 without one passed)', () => {
    vi.stubGlobal('WebSocket', undefined)
    try {
      sdk.worker({ mode: 'ws', handler: async () => ({}) })
      expect.unreachable()
    } catch (error) {
      const { code, message, details } = error as TaskcastError
      expect([code, message, details?.field]).toEqual([
        'VALIDATION_ERROR',
        "mode \"ws\" needs a WebSocket: this runtime has none (Node 20), so pass one, e.g. `import WebSocket from 'ws'`",
        'WebSocket',
      ])
    } finally {
      vi.unstubAllGlobals()
    }
  })
})

describe('worker ws: offers', () => {
  it('accepts offers up to capacity, declines past it, and runs each assigned task to completion', async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map((n) => sdk.createTask({ type: 'offers.job', params: { n }, assign: {} })))
    const gated = gatedHandler()
    const worker = startWorker({ workerId: 'w-offers', capacity: 2, handler: gated.handler })
    const connection = await fake.connection(0)
    await connection.message(0)
    for (const task of [a!, b!, c!]) connection.offer(task)
    await connection.message(3)
    expect(answers(connection)).toEqual([`accept:${a!.id}`, `accept:${b!.id}`, `decline:${c!.id}`])
    expect(worker.running).toBe(2)
    await connection.assign(a!)
    await connection.assign(b!)
    await Promise.all([gated.started(a!.id), gated.started(b!.id)])
    // Full while both run: offered again, the third is declined again.
    connection.offer(c!)
    expect(await connection.message(4)).toEqual({ type: 'decline', taskId: c!.id })
    gated.open(a!.id)
    expect(await sdk.waitForStatus(a!.id, ['completed'])).toMatchObject({ result: { ran: a!.id }, assignedTo: { workerId: 'w-offers' } })
    // A slot is free once its task is ended; the worker holds at most 2 throughout.
    await vi.waitFor(() => expect(worker.running).toBe(1))
    connection.offer(c!)
    expect(await connection.message(5)).toEqual({ type: 'accept', taskId: c!.id })
    await connection.assign(c!)
    gated.open(b!.id)
    gated.open(c!.id)
    for (const task of [b!, c!]) expect(await sdk.waitForStatus(task.id, ['completed'])).toMatchObject({ result: { ran: task.id } })
    expect(answers(connection)).toEqual([`accept:${a!.id}`, `accept:${b!.id}`, `decline:${c!.id}`, `decline:${c!.id}`, `accept:${c!.id}`])
  })

  it('frees the slot of an accepted offer another worker won (taken), and runs nothing for it', async () => {
    const lost = await sdk.createTask({ type: 'taken.job', assign: {} })
    const won = await sdk.createTask({ type: 'taken.job', assign: {} })
    let ran: string[] = []
    const worker = startWorker({ workerId: 'w-taken', handler: async (task) => ((ran = [...ran, task.id]), {}) })
    const connection = await fake.connection(0)
    await connection.message(0)
    connection.offer(lost)
    expect(await connection.message(1)).toEqual({ type: 'accept', taskId: lost.id })
    connection.send({ type: 'taken', taskId: lost.id })
    // With capacity 1, this accept shows that `taken` gave the slot back.
    connection.offer(won)
    expect(await connection.message(2)).toEqual({ type: 'accept', taskId: won.id })
    await connection.assign(won)
    await sdk.waitForStatus(won.id, ['completed'])
    expect(ran).toEqual([won.id])
    await vi.waitFor(() => expect(worker.running).toBe(0))
    expect((await sdk.getTask(lost.id))?.status).toBe('pending')
  })

  it('reports an error message to onError and goes on taking offers', async () => {
    const task = await sdk.createTask({ type: 'error.job', assign: {} })
    const errors: ReturnType<typeof reported>[] = []
    startWorker({ workerId: 'w-error', handler: async () => ({ ok: true }), onError: (error, context) => errors.push(reported(error, context)) })
    const connection = await fake.connection(0)
    await connection.message(0)
    connection.send({ type: 'error', code: 'VALIDATION_ERROR', message: 'accept of an unknown task' })
    connection.send({ type: 'error', code: 'SOMETHING_NEW', message: 'a code this SDK does not know' })
    connection.offer(task)
    expect(await connection.message(1)).toEqual({ type: 'accept', taskId: task.id })
    await connection.assign(task)
    expect(await sdk.waitForStatus(task.id, ['completed'])).toMatchObject({ result: { ok: true } })
    expect(errors).toEqual([
      ['VALIDATION_ERROR', 'accept of an unknown task', undefined, { during: 'socket' }],
      ['INTERNAL', 'a code this SDK does not know', undefined, { during: 'socket' }],
    ])
    expect(fake.connections).toHaveLength(1)
  })
})

describe('worker ws: drops, backoff, stop', () => {
  it('reconnects after the server drops the socket, says hello again, and lets a running task finish', async () => {
    const first = await sdk.createTask({ type: 'drop.job', assign: {} })
    const second = await sdk.createTask({ type: 'drop.job', assign: {} })
    const gated = gatedHandler()
    const errors: ReturnType<typeof reported>[] = []
    startWorker({
      workerId: 'w-drop',
      capacity: 2,
      retry: { initialDelayMs: 20, maxDelayMs: 40 },
      handler: gated.handler,
      onError: (error, context) => errors.push(reported(error, context)),
    })
    const one = await fake.connection(0)
    const hello = await one.message(0)
    one.offer(first)
    await one.message(1)
    await one.assign(first)
    await gated.started(first.id)
    one.socket.close(1001, 'going away')
    const two = await fake.connection(1)
    expect(await two.message(0)).toEqual(hello)
    two.offer(second)
    // The running task still holds a slot: one of two.
    expect(await two.message(1)).toEqual({ type: 'accept', taskId: second.id })
    await two.assign(second)
    gated.open(first.id)
    gated.open(second.id)
    for (const task of [first, second]) expect(await sdk.waitForStatus(task.id, ['completed'])).toMatchObject({ result: { ran: task.id } })
    expect(errors).toEqual([['STORE_UNAVAILABLE', 'the worker socket closed (1001: going away)', 1001, { during: 'socket' }]])
  })

  it('backs off after each 1008 close (a refused hello) instead of reconnecting in a tight loop', async () => {
    fake.onConnection = (connection) => void connection.message(0).then(() => connection.socket.close(1008, 'bad hello'))
    const errors: ReturnType<typeof reported>[] = []
    const retry = { initialDelayMs: 40, maxDelayMs: 1_000 }
    startWorker({ workerId: 'w-refused', retry, handler: async () => ({}), onError: (error, context) => errors.push(reported(error, context)) })
    await fake.connection(3)
    const gaps = fake.connectedAt.slice(1).map((at, i) => at - fake.connectedAt[i]!)
    // Each wait is at least half its doubling ceiling: 20, 40, 80 ms (a ms of clock rounding allowed).
    expect(gaps.map((gap, i) => gap >= (retry.initialDelayMs * 2 ** i) / 2 - 1)).toEqual([true, true, true])
    expect(errors.slice(0, 3)).toEqual(
      Array.from({ length: 3 }, () => ['VALIDATION_ERROR', 'the worker socket closed (1008: bad hello)', 1008, { during: 'socket' }]),
    )
    for (const connection of fake.connections) expect((await connection.message(0)).workerId).toBe('w-refused')
  })

  it('stop() closes the socket at once and resolves after the running handler finished and its task ended', async () => {
    const task = await sdk.createTask({ type: 'stop.job', assign: {} })
    const gated = gatedHandler()
    const worker = startWorker({ workerId: 'w-stop', handler: gated.handler })
    const connection = await fake.connection(0)
    await connection.message(0)
    connection.offer(task)
    await connection.message(1)
    await connection.assign(task)
    await gated.started(task.id)
    let stopped = false
    const stopping = worker.stop().then(() => (stopped = true))
    expect(await connection.closed).toEqual({ code: 1000, reason: 'worker stopped' })
    expect(stopped).toBe(false)
    gated.open(task.id)
    await stopping
    expect(await sdk.getTask(task.id)).toMatchObject({ status: 'completed', result: { ran: task.id } })
    expect(worker.running).toBe(0)
    expect(fake.connections).toHaveLength(1)
  })

  it('stops at once while idle, with no reconnect after its close', async () => {
    const worker = startWorker({ workerId: 'w-idle', handler: async () => ({}) })
    const connection = await fake.connection(0)
    await connection.message(0)
    await worker.stop()
    expect(await connection.closed).toEqual({ code: 1000, reason: 'worker stopped' })
    await worker.done
    expect(fake.connections).toHaveLength(1)
  })
})
