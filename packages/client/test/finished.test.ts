// The handle's `finished` promise against a real server over loopback: how each way a
// subscription ends settles it, and that leaving it alone never surfaces as an unhandled rejection.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { TaskcastClient, TaskcastError } from '../src/index.js'
import { record } from './support/recorder.js'
import { runningTask, startTaskcastServer, type TestServer } from './support/taskcast-server.js'

let server: TestServer
beforeAll(async () => {
  server = await startTaskcastServer()
})
afterAll(() => server.close())

const fast = { initialDelayMs: 5, maxDelayMs: 20 }

/** What `promise` rejected with; fails the test if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => expect.fail(`expected a rejection, got ${String(value)}`),
    (error: unknown) => error,
  )
}

describe('TaskSubscription.finished', () => {
  it('resolves with the done reason once the task completes, after onDone', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const taskId = await runningTask(server.engine)
    const order: string[] = []
    const handle = client.subscribe(taskId, { onDone: (reason) => order.push(`onDone ${reason}`) })
    const finished = handle.finished.then((reason) => (order.push(`finished ${reason}`), reason))
    await server.sseSettles(() => server.openStreams(taskId) === 1)
    await server.engine.transitionTask(taskId, 'completed')
    expect(await finished).toBe('completed')
    expect(order).toEqual(['onDone completed', 'finished completed'])
    // Ending after the end changes nothing.
    handle.unsubscribe()
    expect(await handle.finished).toBe('completed')
  })

  it('resolves with the reason of a task that had already failed', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const taskId = await runningTask(server.engine)
    await server.engine.transitionTask(taskId, 'failed', { error: { message: 'boom' } })
    expect(await client.subscribe(taskId, {}).finished).toBe('failed')
  })

  it('rejects with TASK_NOT_FOUND (reason deleted) when the task is deleted mid-stream, and does not reconnect', async () => {
    let requests = 0
    const client = new TaskcastClient({
      baseUrl: server.url,
      fetch: (i, init) => (requests++, fetch(i, init)),
      reconnect: fast,
    })
    const taskId = await runningTask(server.engine)
    const errors: unknown[] = []
    const handle = client.subscribe(taskId, { onError: (error) => errors.push(error) })
    await server.sseSettles(() => server.openStreams(taskId) === 1)
    await server.engine.deleteTask(taskId)
    const error = await rejection(handle.finished)
    expect(errors).toEqual([error])
    expect([(error as TaskcastError).code, (error as TaskcastError).details]).toEqual(['TASK_NOT_FOUND', { reason: 'deleted' }])
    expect(requests).toBe(1)
  })

  it('rejects with TASK_NOT_FOUND for a wrong task id, with no onError given', async () => {
    let requests = 0
    const client = new TaskcastClient({
      baseUrl: server.url,
      fetch: (i, init) => (requests++, fetch(i, init)),
      reconnect: fast,
    })
    const error = await rejection(client.subscribe('no-such-task', { onEvent: () => {} }).finished)
    expect(TaskcastError.isInstance(error)).toBe(true)
    expect((error as TaskcastError).code).toBe('TASK_NOT_FOUND')
    expect((error as TaskcastError).details?.httpStatus).toBe(404)
    expect(requests).toBe(1)
  })

  it('rejects with the same error onError gets (401 without a token)', async () => {
    const secured = await startTaskcastServer({ app: { auth: { mode: 'custom', authenticate: async () => null } } })
    try {
      const taskId = await runningTask(secured.engine)
      let reported: TaskcastError | undefined
      const handle = new TaskcastClient({ baseUrl: secured.url, reconnect: fast }).subscribe(taskId, {
        onError: (error) => (reported = error),
      })
      const error = await rejection(handle.finished)
      expect((error as TaskcastError).code).toBe('UNAUTHORIZED')
      expect(error).toBe(reported)
    } finally {
      await secured.close()
    }
  })

  it('rejects with an AbortError when unsubscribed before the task ends', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const taskId = await runningTask(server.engine)
    const rec = record(client, taskId)
    await rec.received(1)
    rec.subscription.unsubscribe()
    const error = await rejection(rec.subscription.finished)
    expect(error).toBeInstanceOf(DOMException)
    expect((error as DOMException).name).toBe('AbortError')
    expect(TaskcastError.isInstance(error)).toBe(false)
  })

  it("rejects with the signal's reason when the signal aborts, already aborted or later", async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const taskId = await runningTask(server.engine)
    const reason = new Error('navigated away')
    const controller = new AbortController()
    const rec = record(client, taskId, { signal: controller.signal })
    await rec.received(1)
    controller.abort(reason)
    expect(await rejection(rec.subscription.finished)).toBe(reason)

    const aborted = client.subscribe(taskId, { signal: AbortSignal.abort() })
    expect((await rejection(aborted.finished) as DOMException).name).toBe('AbortError')
  })
})

describe('TaskSubscription.finished left alone', () => {
  const unhandled: unknown[] = []
  const listener = (reason: unknown): void => void unhandled.push(reason)
  beforeAll(() => void process.on('unhandledRejection', listener))
  afterAll(() => void process.off('unhandledRejection', listener))
  afterEach(() => void unhandled.splice(0))

  // Node reports a rejection as unhandled once the microtasks of the macrotask that rejected
  // it have run; by the time a later macrotask (setImmediate) runs, it would have been reported.
  const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

  it('causes no unhandled rejection when the app handles errors with onError only', async () => {
    const client = new TaskcastClient({ baseUrl: server.url, reconnect: fast })
    const { ended } = record(client, 'no-such-task')
    expect((await ended).error?.code).toBe('TASK_NOT_FOUND')
    await nextMacrotask()
    expect(unhandled).toEqual([])
  })

  it('causes no unhandled rejection when the app only unsubscribes', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const taskId = await runningTask(server.engine)
    let firstEvent!: () => void
    const received = new Promise<void>((resolve) => (firstEvent = resolve))
    const handle = client.subscribe(taskId, { onEvent: () => firstEvent() })
    await received
    handle.unsubscribe()
    await server.sseSettles(() => server.openStreams(taskId) === 0)
    await nextMacrotask()
    expect(unhandled).toEqual([])
  })
})
