// serverClient.worker() (SPEC §18, pull mode) against a real server over loopback: it completes
// tasks with their handler's result (events published on the way in the log), fails them with
// its error, runs at most `capacity` at once, leaves a cancelled task to its cancel (its handler
// sees the signal abort), stops at once when idle, gives back a task answered after the stop,
// skips a task whose lease lapsed before it started it, takes only its types and tags, and rides
// out failed pulls. Each test uses its own task types, so that no worker takes another's tasks.
import { TaskcastError, type StatusEventData, type Task } from '@taskcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { TaskcastServerClient, type TaskcastWorker, type WorkerErrorContext, type WorkerOptions } from '../src/index.js'
import { FaultyNetwork } from './support/faulty-network.js'
import { serverForFile, type TestServer } from './support/server-for-file.js'
import { abortReason } from './support/settled.js'
import { startTaskcastServer } from '../../client/test/support/taskcast-server.js'

let server: TestServer
let sdk: TaskcastServerClient
serverForFile((started, client) => ((server = started), (sdk = client)))

const workers: TaskcastWorker[] = []
/** What workers reported without a test asking for it. */
const unexpected: [unknown, WorkerErrorContext][] = []
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()))
  expect(unexpected.splice(0)).toEqual([])
})

function startWorker(options: WorkerOptions, client = sdk): TaskcastWorker {
  const worker = client.worker({ onError: (error, context) => unexpected.push([error, context]), ...options })
  workers.push(worker)
  return worker
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** Each status move of the task as `status` or `status:detail` (the worker, or the reason). */
async function statusMoves(taskId: string): Promise<string[]> {
  const history = await sdk.getHistory(taskId, { filter: { types: [] } })
  return history.map(({ data }) => {
    const { status, workerId, reason } = data as StatusEventData
    const detail = workerId ?? reason
    return detail === undefined ? status : `${status}:${detail}`
  })
}

/** Who waits on a pull of the server now. */
async function waitingWorkers(): Promise<string[]> {
  const { workers: waiting } = (await (await fetch(`${server.url}/workers`)).json()) as { workers: { workerId: string }[] }
  return waiting.map((worker) => worker.workerId)
}

/** Resolves once `check` holds, asked every 10 ms (for what the server shows no event of). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 5_000
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`never: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('worker: running tasks', () => {
  it('completes each task with its handler’s result, after the events it published', async () => {
    const tasks = await Promise.all([1, 2, 3].map((n) => sdk.createTask({ type: 'results.job', params: { n }, assign: {} })))
    startWorker({
      workerId: 'w-results',
      types: ['results.*'],
      handler: async (task, { publish, publishEvents, producer }) => {
        const n = (task.params as { n: number }).n
        await publish({ type: 'job.step', data: { step: 'one' } })
        await publishEvents([{ type: 'job.step', data: { step: 'two' } }])
        // Left unflushed: the worker closes the producer before it completes the task.
        const stream = producer()
        void stream.publish({ type: 'job.step', data: { step: 'three' } })
        void stream.publish({ type: 'job.step', data: { step: 'four' } })
        return { doubled: n * 2 }
      },
    })
    for (const [i, { id }] of tasks.entries()) {
      const done = await sdk.waitForStatus(id, ['completed'])
      expect(done).toMatchObject({ status: 'completed', result: { doubled: (i + 1) * 2 }, assignedTo: { workerId: 'w-results' } })
      const history = await sdk.getHistory(id)
      expect(history.map(({ type, data }) => (type === 'taskcast:status' ? (data as StatusEventData).status : (data as { step: string }).step))).toEqual([
        'assigned',
        'running',
        'one',
        'two',
        'three',
        'four',
        'completed',
      ])
      expect(history.map((event) => event.index)).toEqual([0, 1, 2, 3, 4, 5, 6])
      // The task's cancellation watch is closed once it ended.
      await server.sseSettles(() => server.openStreams(id) === 0)
    }
  })

  it('fails a task with the handler’s error (its message and code), or with a result that is not an object', async () => {
    const plain = await sdk.createTask({ type: 'fails.plain', assign: {} })
    const coded = await sdk.createTask({ type: 'fails.coded', assign: {} })
    const text = await sdk.createTask({ type: 'fails.text', assign: {} })
    startWorker({
      types: ['fails.*'],
      handler: async (task) => {
        if (task.type === 'fails.plain') throw new Error('the model refused')
        if (task.type === 'fails.coded') throw Object.assign(new Error('too many requests'), { code: 'RATE_LIMITED' })
        return 'not an object' as unknown as Record<string, unknown>
      },
    })
    expect((await rejectedEnd(plain.id)).error).toEqual({ message: 'the model refused' })
    expect((await rejectedEnd(coded.id)).error).toEqual({ message: 'too many requests', code: 'RATE_LIMITED' })
    expect((await rejectedEnd(text.id)).error).toEqual({
      code: 'VALIDATION_ERROR',
      message: 'the handler must resolve with an object or undefined, not a string',
    })
    expect(await statusMoves(plain.id)).toEqual([`assigned:${workers[0]!.workerId}`, 'running', 'failed'])
  })

  it('runs at most `capacity` handlers at once: 9 tasks, capacity 3, three at a time', async () => {
    const ids = (await Promise.all(Array.from({ length: 9 }, () => sdk.createTask({ type: 'capacity.job', assign: {} })))).map((task) => task.id)
    let active = 0
    let max = 0
    const held: number[] = []
    // Each handler waits until three run, then the three go together.
    let batch: (() => void)[] = []
    let full = deferred()
    const worker = startWorker({
      workerId: 'w-capacity',
      types: ['capacity.*'],
      capacity: 3,
      handler: async () => {
        active++
        max = Math.max(max, active)
        held.push(worker.running)
        const go = new Promise<void>((resolve) => batch.push(resolve))
        if (batch.length === 3) full.resolve()
        await go
        active--
        return {}
      },
    })
    for (let round = 0; round < 3; round++) {
      await full.promise
      // All three pulls are running a handler: none is open on the server.
      expect(await waitingWorkers()).toEqual([])
      expect(worker.running).toBe(3)
      full = deferred()
      const going = batch
      batch = []
      for (const resolve of going) resolve()
    }
    for (const id of ids) expect((await sdk.waitForStatus(id, ['completed'])).status).toBe('completed')
    expect(max).toBe(3)
    expect(held).toHaveLength(9)
    expect(Math.max(...held)).toBe(3)
  })
})

/** The task once it failed. */
async function rejectedEnd(taskId: string): Promise<Task> {
  return sdk.waitForStatus(taskId, ['failed'])
}

describe('worker: cancel, stop, leases', () => {
  it('aborts the handler’s signal when the task is cancelled, and leaves the task cancelled', async () => {
    const task = await sdk.createTask({ type: 'cancel.job', assign: {} })
    const started = deferred()
    let seen: unknown
    const worker = startWorker({
      types: ['cancel.*'],
      handler: async (_task, { signal }) => {
        started.resolve()
        seen = await abortReason(signal)
        expect(signal.aborted).toBe(true)
        return { finished: 'anyway' }
      },
    })
    await started.promise
    // Through the client the worker was made from: the worker's moves go through a client of its own.
    await sdk.cancelTask(task.id, 'the user pressed Stop')
    await worker.stop()
    expect(TaskcastError.isInstance(seen)).toBe(true)
    expect([(seen as TaskcastError).code, (seen as TaskcastError).details]).toEqual([
      'TASK_NOT_RUNNING',
      { taskId: task.id, status: 'cancelled', reason: 'the user pressed Stop' },
    ])
    expect(await statusMoves(task.id)).toEqual([`assigned:${worker.workerId}`, 'running', 'cancelled:the user pressed Stop'])
    expect((await sdk.getTask(task.id))?.status).toBe('cancelled')
    await server.sseSettles(() => server.openStreams(task.id) === 0)
  })

  it('stops at once while idle, with its pull aborted and gone from the server', async () => {
    const pulls: Promise<unknown>[] = []
    const sent = deferred()
    const watched: typeof fetch = (input, init) => {
      const answer = fetch(input, init)
      if (String(input).includes('/workers/pull')) {
        pulls.push(answer.then(() => 'answered', (error: unknown) => (error as Error).name))
        sent.resolve()
      }
      return answer
    }
    const worker = startWorker({ workerId: 'w-idle', types: ['idle.*'], handler: async () => ({}) }, new TaskcastServerClient({ baseUrl: server.url, fetch: watched }))
    await sent.promise
    await eventually(async () => (await waitingWorkers()).includes('w-idle'), 'the pull waits on the server')
    const asked = Date.now()
    await worker.stop()
    expect(Date.now() - asked).toBeLessThan(500)
    expect(await Promise.all(pulls)).toEqual(['AbortError'])
    expect(worker.running).toBe(0)
    await eventually(async () => (await waitingWorkers()).length === 0, 'the server lets the pull go')
  })

  it('gives back a task a pull was answered with after stop() was asked, and runs no handler', async () => {
    const task = await sdk.createTask({ type: 'late.job', assign: {} })
    const answered = deferred()
    const gate = deferred()
    // The pull's answer arrives, and is handed over only once the worker was asked to stop.
    const slow: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (!String(input).includes('/workers/pull')) return response
      const body = await response.text()
      answered.resolve()
      await gate.promise
      return new Response(body, { status: response.status, headers: response.headers })
    }
    let ran = 0
    const worker = startWorker(
      { workerId: 'w-late', types: ['late.*'], handler: async () => (ran++, {}) },
      new TaskcastServerClient({ baseUrl: server.url, fetch: slow }),
    )
    await answered.promise
    const stopped = worker.stop()
    gate.resolve()
    await stopped
    expect(ran).toBe(0)
    expect(await statusMoves(task.id)).toEqual(['assigned:w-late', 'pending:released'])
    expect(await sdk.getTask(task.id)).toMatchObject({ status: 'pending' })
  })

  it('skips a task whose lease lapsed before its start reached the server, when another worker started it', async () => {
    const task = await sdk.createTask({ type: 'lease.job', assign: { leaseMs: 100 } })
    const patchSent = deferred()
    const gate = deferred()
    // The worker's move to running is held back (a slow network) past the task's lease.
    const network = new FaultyNetwork((call) => {
      if (call.method !== 'PATCH' || call.attempt !== 1) return undefined
      patchSent.resolve()
      return { hold: gate.promise }
    })
    let ran = 0
    const worker = startWorker(
      { workerId: 'w-slow', types: ['lease.*'], handler: async () => (ran++, {}) },
      new TaskcastServerClient({ baseUrl: server.url, fetch: network.fetch }),
    )
    await patchSent.promise
    // The lease sweep gives the task back, and another worker takes it and starts it.
    await sdk.waitForStatus(task.id, ['pending'])
    expect(await server.engine.claimTask({ workerId: 'w-other', types: ['lease.*'] })).toMatchObject({ id: task.id })
    await server.engine.transitionTask(task.id, 'running')
    gate.resolve()
    await network.until((exchanges) => exchanges.some((exchange) => exchange.method === 'PATCH'))
    // Started as w-slow's only while it still holds the task: it no longer does.
    expect(network.exchanges.find((exchange) => exchange.method === 'PATCH')).toMatchObject({ status: 409, code: 'CONFLICT' })
    await worker.stop()
    expect(ran).toBe(0)
    expect(await statusMoves(task.id)).toEqual(['assigned:w-slow', 'pending:lease-expired', 'assigned:w-other', 'running'])
    expect(await sdk.getTask(task.id)).toMatchObject({ status: 'running', assignedTo: { workerId: 'w-other' } })
  })
})

describe('worker: what it takes, and failures', () => {
  it('takes only tasks of its types whose tags it has', async () => {
    const needsGpu = await sdk.createTask({ type: 'gpu.render', assign: { tags: ['gpu'] } })
    const other = await sdk.createTask({ type: 'cpu.job', assign: {} })
    const any = await sdk.createTask({ type: 'gpu.render', assign: {} })
    const ran: Record<string, string[]> = { plain: [], gpu: [] }
    const handler = (name: string) => async (task: Task) => (ran[name]!.push(task.id), {})
    const plain = startWorker({ types: ['gpu.*'], handler: handler('plain') })
    await sdk.waitForStatus(any.id, ['completed'])
    await plain.stop()
    const gpu = startWorker({ types: ['gpu.*'], tags: ['gpu', 'eu'], handler: handler('gpu') })
    await sdk.waitForStatus(needsGpu.id, ['completed'])
    await gpu.stop()
    expect(ran).toEqual({ plain: [any.id], gpu: [needsGpu.id] })
    const left = await sdk.getTask(other.id)
    expect([left?.status, left?.assignedTo]).toEqual(['pending', undefined])
  })

  it('reports failed pulls to onError and pulls again after a backoff', async () => {
    const task = await sdk.createTask({ type: 'flaky.job', assign: {} })
    const network = new FaultyNetwork((call) => (call.path.startsWith('/workers/pull') && call.attempt <= 2 ? { fault: 'refuse' } : undefined))
    const errors: [string | undefined, WorkerErrorContext][] = []
    startWorker(
      {
        types: ['flaky.*'],
        retry: { initialDelayMs: 20, maxDelayMs: 40 },
        handler: async () => ({ ok: true }),
        onError: (error, context) => errors.push([TaskcastError.isInstance(error) ? error.code : undefined, context]),
      },
      new TaskcastServerClient({ baseUrl: server.url, fetch: network.fetch }),
    )
    expect(await sdk.waitForStatus(task.id, ['completed'])).toMatchObject({ result: { ok: true } })
    expect(errors).toEqual([
      ['STORE_UNAVAILABLE', { during: 'pull' }],
      ['STORE_UNAVAILABLE', { during: 'pull' }],
    ])
  })

  it('reports a result it could not store because someone paused the task meanwhile', async () => {
    const task = await sdk.createTask({ type: 'paused.job', assign: {} })
    const started = deferred()
    const go = deferred()
    const errors: [string | undefined, WorkerErrorContext][] = []
    const worker = startWorker({
      types: ['paused.*'],
      handler: async () => {
        started.resolve()
        await go.promise
        return { late: true }
      },
      onError: (error, context) => errors.push([(error as TaskcastError).code, context]),
    })
    await started.promise
    await sdk.transitionTask(task.id, 'paused')
    go.resolve()
    await worker.stop()
    expect(errors).toEqual([['INVALID_TRANSITION', { during: 'complete', taskId: task.id }]])
    expect((await sdk.getTask(task.id))?.status).toBe('paused')
  })

  it('reports a refused watch (a token without event:subscribe), and still completes the task', async () => {
    const guarded = await startTaskcastServer({
      app: {
        auth: {
          mode: 'custom',
          // The bearer token is the comma-separated list of the caller's scopes.
          authenticate: async (request) => {
            const token = request.headers.get('authorization')?.replace(/^Bearer /, '')
            return token ? { scope: token.split(',') as never[], taskIds: '*', claims: {} } : null
          },
        },
      },
    })
    try {
      const client = new TaskcastServerClient({ baseUrl: guarded.url, token: 'task:create,worker:pull,task:manage,event:publish' })
      const task = await client.createTask({ type: 'watch.job', assign: {} })
      const reported = deferred()
      const errors: [string | undefined, WorkerErrorContext][] = []
      const worker = startWorker(
        {
          types: ['watch.*'],
          handler: async (_task, { signal }) => {
            // Aborts with the refusal of the watch, not with an end of the task.
            await abortReason(signal)
            return { watched: false }
          },
          onError: (error, context) => {
            errors.push([(error as TaskcastError).code, context])
            reported.resolve()
          },
        },
        client,
      )
      await reported.promise
      await worker.stop()
      expect(errors).toEqual([['FORBIDDEN', { during: 'watch', taskId: task.id }]])
      expect(await client.getTask(task.id)).toMatchObject({ status: 'completed', result: { watched: false } })
    } finally {
      await guarded.close()
    }
  })

  it('stops by itself, reporting it, when the server refuses its identity', async () => {
    const errors: unknown[] = []
    const worker = startWorker({ workerId: 'not a valid id', handler: async () => ({}), onError: (error) => errors.push(error) })
    await worker.done
    expect(errors).toHaveLength(1)
    expect((errors[0] as TaskcastError).code).toBe('VALIDATION_ERROR')
  })

  it('refuses invalid options at once', () => {
    const handler = async () => ({})
    const refusal = (options: WorkerOptions): [string, string, unknown] => {
      try {
        sdk.worker(options)
      } catch (error) {
        const { code, message, details } = error as TaskcastError
        return [code, message, details?.field]
      }
      throw new Error('expected a refusal')
    }
    expect(refusal({ mode: 'push' as never, handler })).toEqual(['VALIDATION_ERROR', 'mode must be "pull" or "ws"', 'mode'])
    expect(refusal({ capacity: 0, handler })).toEqual(['VALIDATION_ERROR', 'capacity must be an integer ≥ 1', 'capacity'])
    expect(refusal({ pollTimeoutMs: 60_001, handler })).toEqual(['VALIDATION_ERROR', 'pollTimeoutMs must be an integer from 1 to 60000', 'pollTimeoutMs'])
    expect(refusal({} as WorkerOptions)).toEqual(['VALIDATION_ERROR', 'handler must be a function', 'handler'])
  })
})
