// TaskcastClient.subscribe against a real server over loopback: delivery, ending, errors, auth.
import type { TaskcastError } from '@taskcast/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TaskcastClient } from '../src/index.js'
import { deltas, record } from './support/recorder.js'
import { runningTask, startTaskcastServer, type TestServer } from './support/taskcast-server.js'

let server: TestServer
beforeAll(async () => {
  server = await startTaskcastServer()
})
afterAll(() => server.close())

const fast = { initialDelayMs: 5, maxDelayMs: 20 }

describe('TaskcastClient.subscribe', () => {
  it('delivers history then live events in order, reports status, and ends with done', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const taskId = await runningTask(server.engine)
    await server.engine.publishEvent(taskId, { type: 'llm.start', data: { n: 0 } })
    const rec = record(client, taskId, { filter: { types: ['llm.*'] } })
    await rec.received(2) // history: the running status and llm.start; the rest is live
    await server.engine.publishEvent(taskId, { type: 'tool.call', data: {} })
    await server.engine.publishEvent(taskId, { type: 'llm.end', data: { n: 1 } })
    await server.engine.transitionTask(taskId, 'completed', { result: { ok: true } })
    expect(await rec.ended).toEqual({ done: 'completed' })
    expect(rec.events.map((e) => [e.type, e.filteredIndex, e.rawIndex])).toEqual([
      ['taskcast:status', 0, 0],
      ['llm.start', 1, 1],
      ['llm.end', 2, 3],
      ['taskcast:status', 3, 4],
    ])
    expect(rec.statuses).toEqual(['running', 'completed'])
    expect(rec.events[1]!.data).toEqual({ n: 0 })
  })

  it('runs the README example as written: an awaitable handle, since.index and llm.* only', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const taskId = await runningTask(server.engine)
    await server.engine.publishEvents(taskId, [
      { type: 'llm.delta', data: { text: 'Once ' } },
      { type: 'llm.delta', data: { text: 'upon a time...' } },
    ])
    const seen: unknown[] = []
    let finished!: (reason: string) => void
    const done = new Promise<string>((resolve) => (finished = resolve))
    const handle = await client.subscribe(taskId, {
      filter: { types: ['llm.*'], since: { index: 0 } },
      onEvent: (envelope) => seen.push(envelope.data),
      onDone: (reason) => finished(`Task ${reason}`),
    })
    expect(typeof handle.unsubscribe).toBe('function')
    await server.engine.transitionTask(taskId, 'completed')
    expect(await done).toBe('Task completed')
    // filteredIndex 0 is the running status event, so since.index 0 starts at the first delta.
    expect(seen).toEqual([{ text: 'Once ' }, { text: 'upon a time...' }, { status: 'completed', previousStatus: 'running' }])
  })

  it('replays a finished task and ends without reconnecting', async () => {
    let requests = 0
    const client = new TaskcastClient({ baseUrl: server.url, fetch: (i, init) => (requests++, fetch(i, init)) })
    const taskId = await runningTask(server.engine)
    await server.engine.publishEvents(taskId, deltas(3))
    await server.engine.transitionTask(taskId, 'failed', { error: { message: 'boom' } })
    const rec = record(client, taskId, { filter: { includeStatus: false } })
    expect(await rec.ended).toEqual({ done: 'failed' })
    // Joining without a cursor collapses the accumulate series into one snapshot.
    expect(rec.events.map((e) => [e.seriesSnapshot, e.data, e.filteredIndex])).toEqual([[true, { text: 'd0;d1;d2;' }, 2]])
    expect(requests).toBe(1)
  })

  it('holds on a pending task and streams from the start once it runs', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const task = await server.engine.createTask({})
    const rec = record(client, task.id)
    await server.sseSettles(() => server.openStreams(task.id) === 1)
    await server.engine.transitionTask(task.id, 'running')
    await server.engine.publishEvent(task.id, { type: 'a', data: 1 })
    await server.engine.transitionTask(task.id, 'cancelled')
    expect(await rec.ended).toEqual({ done: 'cancelled' })
    expect(rec.events.map((e) => e.type)).toEqual(['taskcast:status', 'a', 'taskcast:status'])
    expect(rec.statuses).toEqual(['running', 'cancelled'])
  })

  it('sends frames with multi-byte text intact', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const taskId = await runningTask(server.engine)
    const text = 'é中😀\n\r\nline'.repeat(500)
    await server.engine.publishEvent(taskId, { type: 'x', data: { text } })
    await server.engine.transitionTask(taskId, 'completed')
    const rec = record(client, taskId, { filter: { includeStatus: false } })
    await rec.ended
    expect(rec.events.map((e) => e.data)).toEqual([{ text }])
  })

  it('unsubscribe() closes the stream and no callback runs afterwards', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const taskId = await runningTask(server.engine)
    const rec = record(client, taskId)
    await rec.received(1)
    rec.subscription.unsubscribe()
    rec.subscription.unsubscribe()
    await server.sseSettles(() => server.openStreams(taskId) === 0)
    const witness = record(client, taskId)
    await server.engine.publishEvent(taskId, { type: 'late', data: null })
    await server.engine.transitionTask(taskId, 'completed')
    // Once a live subscriber has seen everything, the closed one would have too.
    expect(await witness.ended).toEqual({ done: 'completed' })
    expect(witness.events.map((e) => e.type)).toEqual(['taskcast:status', 'late', 'taskcast:status'])
    expect(rec.events.map((e) => e.type)).toEqual(['taskcast:status'])
    expect(await Promise.race([rec.ended, Promise.resolve('not ended')])).toBe('not ended')
  })

  it('an aborted signal ends the subscription like unsubscribe()', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const taskId = await runningTask(server.engine)
    const controller = new AbortController()
    const rec = record(client, taskId, { signal: controller.signal })
    await rec.received(1)
    controller.abort()
    await server.sseSettles(() => server.openStreams(taskId) === 0)
    expect(server.sse.filter((e) => e.taskId === taskId).map((e) => e.kind)).toEqual(['connect', 'disconnect'])

    let requests = 0
    const counting = new TaskcastClient({ baseUrl: server.url, fetch: (i, init) => (requests++, fetch(i, init)) })
    counting.subscribe(taskId, { signal: controller.signal })
    expect(requests).toBe(0)
  })

  it.each([
    ['a missing task', 'missing-task', {}, 'TASK_NOT_FOUND', 404],
    ['an unknown since.id', undefined, { since: { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } }, 'VALIDATION_ERROR', 400],
  ] as const)('reports %s with the server code and does not retry', async (_name, id, filter, code, status) => {
    let requests = 0
    const client = new TaskcastClient({
      baseUrl: server.url,
      fetch: (i, init) => (requests++, fetch(i, init)),
      reconnect: fast,
    })
    const taskId = id ?? (await runningTask(server.engine))
    const rec = record(client, taskId, { filter })
    const { error } = await rec.ended
    expect(error?.code).toBe(code)
    expect(error?.details?.httpStatus).toBe(status)
    expect(requests).toBe(1)
  })

  it('ends with TASK_NOT_FOUND when the task is deleted mid-stream', async () => {
    const client = new TaskcastClient({ baseUrl: server.url, reconnect: fast })
    const taskId = await runningTask(server.engine)
    const rec = record(client, taskId)
    await rec.received(1)
    const response = await fetch(`${server.url}/tasks/${taskId}`, { method: 'DELETE' })
    expect(response.status).toBe(204)
    expect((await rec.ended).error?.code).toBe('TASK_NOT_FOUND')
  })

  it('retries 503 and network errors, then gives up after maxAttempts', async () => {
    const unreachable = new TaskcastClient({
      baseUrl: 'http://127.0.0.1:9', // discard port: connection refused
      reconnect: { ...fast, maxAttempts: 3 },
    })
    let tries = 0
    const counted = new TaskcastClient({
      baseUrl: 'http://127.0.0.1:9',
      fetch: (i, init) => (tries++, fetch(i, init)),
      reconnect: { ...fast, maxAttempts: 3 },
    })
    const network = await record(counted, 'any').ended
    expect(network.error?.code).toBe('STORE_UNAVAILABLE')
    expect(network.error?.details).toEqual({ network: true })
    expect(tries).toBe(3)
    expect((await record(unreachable, 'any').ended).error?.code).toBe('STORE_UNAVAILABLE')

    const closing = await startTaskcastServer()
    const taskId = await runningTask(closing.engine)
    // A closing app refuses new streams with 503 while its port still answers.
    const app = closing.close()
    let attempts = 0
    const client = new TaskcastClient({
      baseUrl: closing.url,
      fetch: (i, init) => (attempts++, fetch(i, init)),
      reconnect: { ...fast, maxAttempts: 2 },
    })
    const { error } = await record(client, taskId).ended
    await app
    expect(error?.code).toBe('STORE_UNAVAILABLE')
    expect(attempts).toBe(2)
  })
})

describe('TaskcastClient auth', () => {
  it('sends the token as a bearer header and asks a token function again on each connection', async () => {
    const seen: (string | null)[] = []
    const secured = await startTaskcastServer({
      app: {
        auth: {
          mode: 'custom',
          authenticate: async (request) => {
            const header = request.headers.get('authorization')
            seen.push(header)
            if (header === 'Bearer reader') return { taskIds: '*', scope: ['event:subscribe'], claims: {} }
            if (header === 'Bearer writer') return { taskIds: '*', scope: ['event:publish'], claims: {} }
            return null
          },
        },
      },
    })
    try {
      const taskId = await runningTask(secured.engine)
      await secured.engine.transitionTask(taskId, 'completed')

      expect((await record(new TaskcastClient({ baseUrl: secured.url, token: 'reader' }), taskId).ended).done).toBe(
        'completed',
      )
      let calls = 0
      const viaFunction = new TaskcastClient({ baseUrl: secured.url, token: async () => (calls++, 'reader') })
      expect((await record(viaFunction, taskId).ended).done).toBe('completed')
      expect(calls).toBe(1)

      const cases: [string | undefined, string, number][] = [
        [undefined, 'UNAUTHORIZED', 401],
        ['nobody', 'UNAUTHORIZED', 401],
        ['writer', 'FORBIDDEN', 403],
      ]
      for (const [token, code, status] of cases) {
        let requests = 0
        const client = new TaskcastClient({
          baseUrl: secured.url,
          ...(token !== undefined && { token }),
          fetch: (i, init) => (requests++, fetch(i, init)),
          reconnect: fast,
        })
        const error = (await record(client, taskId).ended).error as TaskcastError
        expect([error.code, error.details?.httpStatus, requests]).toEqual([code, status, 1])
      }
      expect(seen).toEqual(['Bearer reader', 'Bearer reader', null, 'Bearer nobody', 'Bearer writer'])
    } finally {
      await secured.close()
    }
  })
})
