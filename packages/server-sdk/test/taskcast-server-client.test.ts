// TaskcastServerClient against a real server over loopback: every call, the server's error
// codes, auth, retries of idempotent calls only, and subscribe.
import { TaskcastError, type TaskEvent } from '@taskcast/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TaskcastServerClient } from '../src/index.js'
// Shared with @taskcast/client's tests rather than copied (see README, "Tests").
import { startCuttingProxy } from '../../client/test/support/cutting-proxy.js'
import { startTaskcastServer, type TestServer } from '../../client/test/support/taskcast-server.js'

let server: TestServer
let sdk: TaskcastServerClient
beforeAll(async () => {
  server = await startTaskcastServer()
  sdk = new TaskcastServerClient({ baseUrl: `${server.url}/` })
})
afterAll(() => server.close())

async function rejection(promise: Promise<unknown>): Promise<TaskcastError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!TaskcastError.isInstance(error)) throw new Error(`expected a TaskcastError, got ${String(error)}`)
  return error
}

describe('TaskcastServerClient', () => {
  it('creates, reads, runs and completes a task', async () => {
    const created = await sdk.createTask({ type: 'llm.chat', params: { prompt: 'hi' }, ttl: 60 })
    expect(created).toMatchObject({ type: 'llm.chat', status: 'pending', params: { prompt: 'hi' }, ttl: 60 })
    expect(await sdk.getTask(created.id)).toEqual({ ...created, subscribers: 0 })
    const running = await sdk.transitionTask(created.id, 'running')
    expect(running.status).toBe('running')
    const done = await sdk.transitionTask(created.id, 'completed', { result: { output: 'ok' } })
    expect(done).toMatchObject({ status: 'completed', result: { output: 'ok' } })
    expect(done.completedAt).toBeTypeOf('number')
  })

  it('returns null for a task that does not exist, as the engine does', async () => {
    expect(await sdk.getTask('nope')).toBeNull()
  })

  it('lists tasks page by page with the shared query codec', async () => {
    const type = `list.${Date.now()}`
    const created = []
    for (let i = 0; i < 5; i++) created.push(await sdk.createTask({ type }))
    await sdk.transitionTask(created[1]!.id, 'running')
    const newest = [...created].reverse().map((task) => task.id)
    const first = await sdk.listTasks({ type: [type], limit: 3 })
    expect(first.tasks.map((task) => task.id)).toEqual(newest.slice(0, 3))
    const second = await sdk.listTasks({ type: [type], limit: 3, cursor: first.nextCursor! })
    expect(second.tasks.map((task) => task.id)).toEqual(newest.slice(3))
    expect(second.nextCursor).toBeNull()
    const running = await sdk.listTasks({ type: [type], status: ['running', 'blocked'] })
    expect(running.tasks.map((task) => task.id)).toEqual([created[1]!.id])
    const error = await rejection(sdk.listTasks({ limit: 501 }))
    expect(error.code).toBe('VALIDATION_ERROR')
    expect(error.details?.field).toBe('limit')
  })

  it('publishes one event and batches with consecutive indexes', async () => {
    const { id } = await sdk.createTask({ id: 'sdk-publish' })
    await sdk.transitionTask(id, 'running')
    const one = await sdk.publishEvent(id, { type: 'llm.delta', data: { text: 'a' } })
    expect(one).toMatchObject({ taskId: id, index: 1, type: 'llm.delta', level: 'info', data: { text: 'a' } })
    const batch = await sdk.publishEvents(id, [
      { type: 'llm.delta', level: 'debug', data: { text: 'b' } },
      { type: 'llm.delta', data: { text: 'c' } },
    ])
    expect(batch.map((e: TaskEvent) => [e.index, e.level])).toEqual([
      [2, 'debug'],
      [3, 'info'],
    ])
  })

  it('reads history with the shared query codec: filter, cursor, limit, accumulated series', async () => {
    const { id } = await sdk.createTask()
    await sdk.transitionTask(id, 'running')
    await sdk.publishEvents(id, [
      { type: 'llm.delta', data: { text: 'Once ' }, seriesId: 'r', seriesMode: 'accumulate' },
      { type: 'tool.call', level: 'warn', data: { name: 'x' } },
      { type: 'llm.delta', data: { text: 'upon' }, seriesId: 'r', seriesMode: 'accumulate' },
    ])
    const all = await sdk.getHistory(id)
    expect(all.map((e) => e.type)).toEqual(['taskcast:status', 'llm.delta', 'tool.call', 'llm.delta'])
    const llm = await sdk.getHistory(id, { filter: { types: ['llm.*'], includeStatus: false } })
    expect(llm.map((e) => e.data)).toEqual([{ text: 'Once ' }, { text: 'upon' }])
    const accumulated = await sdk.getHistory(id, { filter: { types: ['llm.*'] }, seriesFormat: 'accumulated' })
    expect(accumulated.at(-1)?.data).toEqual({ text: 'Once upon' })
    const page = await sdk.getHistory(id, { filter: { since: { id: all[0]!.id } }, limit: 2 })
    expect(page.map((e) => e.index)).toEqual([1, 2])
    expect((await sdk.getHistory(id, { filter: { levels: ['warn'] } })).map((e) => e.type)).toEqual([
      'taskcast:status',
      'tool.call',
    ])
  })

  it('deletes a task and reports whether there was one', async () => {
    const { id } = await sdk.createTask()
    expect(await sdk.deleteTask(id)).toBe(true)
    expect(await sdk.deleteTask(id)).toBe(false)
    expect(await sdk.getTask(id)).toBeNull()
  })

  it('rebuilds server errors as TaskcastError with the server code and HTTP status', async () => {
    const { id } = await sdk.createTask({ id: 'sdk-errors' })
    const cases: [() => Promise<unknown>, string, number][] = [
      [() => sdk.createTask({ id: 'sdk-errors' }), 'DUPLICATE_TASK', 409],
      [() => sdk.publishEvent(id, { type: 'x' }), 'TASK_NOT_RUNNING', 400],
      [() => sdk.transitionTask(id, 'completed'), 'INVALID_TRANSITION', 400],
      [() => sdk.transitionTask('missing', 'running'), 'TASK_NOT_FOUND', 404],
      [() => sdk.createTask({ type: 'x', bogus: 1 } as never), 'VALIDATION_ERROR', 400],
      [() => sdk.getHistory(id, { filter: { since: { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } } }), 'VALIDATION_ERROR', 400],
    ]
    for (const [call, code, status] of cases) {
      const error = await rejection(call())
      expect([error.code, error.details?.httpStatus]).toEqual([code, status])
      expect(error.message.length).toBeGreaterThan(0)
    }
  })

  it('stores nothing from a batch with one invalid event', async () => {
    const { id } = await sdk.createTask()
    await sdk.transitionTask(id, 'running')
    const error = await rejection(sdk.publishEvents(id, [{ type: 'ok' }, { type: 'taskcast:forged' }]))
    expect(error.code).toBe('VALIDATION_ERROR')
    expect((await sdk.getHistory(id)).map((e) => e.type)).toEqual(['taskcast:status'])
  })

  it('subscribes with the reconnecting client and sees the task through to the end', async () => {
    const { id } = await sdk.createTask()
    await sdk.transitionTask(id, 'running')
    const seen: string[] = []
    const done = new Promise<string>((resolve, reject) => {
      sdk.subscribe(id, {
        filter: { includeStatus: false },
        onEvent: (e) => seen.push(`${e.filteredIndex}:${e.type}`),
        onDone: resolve,
        onError: reject,
      })
    })
    await sdk.publishEvent(id, { type: 'step', data: 1 })
    await sdk.transitionTask(id, 'completed')
    expect(await done).toBe('completed')
    expect(seen).toEqual(['0:step'])
  })

  it('honours an AbortSignal', async () => {
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    await expect(sdk.getTask('x', { signal: controller.signal })).rejects.toThrow('stop')
  })
})

describe('TaskcastServerClient over a failing network', () => {
  it('retries GET and DELETE after network errors, never POST or PATCH', async () => {
    const proxy = await startCuttingProxy(server.port, { oneRequestPerConnection: true })
    try {
      const viaProxy = new TaskcastServerClient({ baseUrl: proxy.url, retry: { initialDelayMs: 5, maxDelayMs: 10 } })
      const { id } = await sdk.createTask()

      proxy.dropNextConnections(2)
      let before = proxy.accepted
      expect((await viaProxy.getTask(id))?.id).toBe(id)
      expect(proxy.accepted - before).toBe(3)

      proxy.dropNextConnections(3)
      before = proxy.accepted
      const exhausted = await rejection(viaProxy.getTask(id))
      expect([exhausted.code, exhausted.details]).toEqual(['STORE_UNAVAILABLE', { network: true }])
      expect(proxy.accepted - before).toBe(3)

      for (const call of [() => viaProxy.transitionTask(id, 'running'), () => viaProxy.createTask()]) {
        proxy.dropNextConnections(1)
        before = proxy.accepted
        expect((await rejection(call())).details).toEqual({ network: true })
        expect(proxy.accepted - before).toBe(1)
      }
      expect((await sdk.getTask(id))?.status).toBe('pending')

      proxy.dropNextConnections(1)
      expect(await viaProxy.deleteTask(id)).toBe(true)
    } finally {
      await proxy.close()
    }
  })
})

describe('TaskcastServerClient against something that is not Taskcast', () => {
  it('reports a non-JSON success as INTERNAL and a bare 502 as STORE_UNAVAILABLE', async () => {
    const impostor = await startTaskcastServer({
      routes: {
        '/tasks': () => new Response('<html>hello</html>', { headers: { 'content-type': 'text/html' } }),
        '/tasks/x': () => new Response('Bad Gateway', { status: 502 }),
      },
    })
    try {
      const client = new TaskcastServerClient({ baseUrl: impostor.url, retry: { retries: 0 } })
      const html = await rejection(client.createTask())
      expect([html.code, html.details?.httpStatus]).toEqual(['INTERNAL', 200])
      const gateway = await rejection(client.getTask('x'))
      expect([gateway.code, gateway.details?.httpStatus, gateway.message]).toEqual([
        'STORE_UNAVAILABLE',
        502,
        'request failed with HTTP status 502',
      ])
    } finally {
      await impostor.close()
    }
  })
})

describe('TaskcastServerClient auth', () => {
  it('sends the bearer token, fetched per request when it is a function', async () => {
    const headers: (string | null)[] = []
    const secured = await startTaskcastServer({
      app: {
        auth: {
          mode: 'custom',
          authenticate: async (request) => {
            const header = request.headers.get('authorization')
            headers.push(header)
            if (header === 'Bearer admin') return { taskIds: '*', scope: ['*'], claims: {} }
            if (header === 'Bearer reader') return { taskIds: '*', scope: ['event:subscribe'], claims: {} }
            return null
          },
        },
      },
    })
    try {
      let calls = 0
      const admin = new TaskcastServerClient({ baseUrl: secured.url, token: () => (calls++, 'admin') })
      const task = await admin.createTask()
      expect(await admin.getTask(task.id)).toEqual({ ...task, subscribers: 0 })
      expect(calls).toBe(2)
      const reader = new TaskcastServerClient({ baseUrl: secured.url, token: 'reader' })
      expect((await rejection(reader.createTask())).code).toBe('FORBIDDEN')
      const anonymous = new TaskcastServerClient({ baseUrl: secured.url })
      expect((await rejection(anonymous.getTask(task.id))).code).toBe('UNAUTHORIZED')
      expect(headers).toEqual(['Bearer admin', 'Bearer admin', 'Bearer reader', null])
    } finally {
      await secured.close()
    }
  })
})
