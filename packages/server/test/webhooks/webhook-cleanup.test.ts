// A cleanup rule (SPEC §11) deleting a finished task before its webhook deliveries are done.
// What was acknowledged to the producer still goes out when the process that ended the task
// delivers it; the consumer of the log never hangs, crashes or retries forever when the task
// vanishes; its lease and index entry go with the task; what could not go out is reported.
import { describe, expect, it } from 'vitest'
import {
  MemoryBroadcastProvider,
  MemoryShortTermStore,
  TaskcastError,
  TaskEngine,
  type CleanupRule,
  type ShortTermStore,
  type SSEEnvelope,
  type WebhookConfig,
} from '@taskcast/core'
import { createWebhookDispatcher, type WebhookDispatcher } from '../../src/webhooks/index.js'
import { afterThisTest, receiver } from './after-each-test.js'
import { type Responder } from './receiver.js'

const slowly = (ms: number, status = 200): Responder => async () => {
  await new Promise((resolve) => setTimeout(resolve, ms))
  return status
}

/** The memory store without its delivery records, as a custom store: the dispatcher keeps them in the process. */
function withoutDeliveryRecords(store: MemoryShortTermStore): ShortTermStore {
  return new Proxy(store, {
    get: (target, name) => (name === 'deliveries' ? undefined : Reflect.get(target, name, target)),
  }) as ShortTermStore
}

const deleteAtOnce: CleanupRule[] = [{ trigger: { afterMs: 0 }, target: 'all' }]

interface Process {
  engine: TaskEngine
  dispatcher: WebhookDispatcher
  failures: { error: unknown; payload: unknown }[]
  unhandled: { error: unknown; source: string; taskId: string | undefined }[]
}

function start(shared: { broadcast: MemoryBroadcastProvider; store: ShortTermStore }, rules: CleanupRule[] = deleteAtOnce): Process {
  const engine = new TaskEngine({ broadcast: shared.broadcast, shortTermStore: shared.store, cleanup: { rules } })
  const dispatcher = createWebhookDispatcher({ engine, options: { allowPrivateNetworks: true } })
  const failures: Process['failures'] = []
  const unhandled: Process['unhandled'] = []
  engine.addHooks(dispatcher.hooks)
  engine.addHooks({
    onWebhookFailed: (_, error, payload) => void failures.push({ error, payload }),
    onUnhandledError: (error, context) => void unhandled.push({ error, source: context.source, taskId: context.taskId }),
  })
  afterThisTest(async () => {
    await dispatcher.close()
    await engine.stop()
  })
  return { engine, dispatcher, failures, unhandled }
}

async function runningTask(engine: TaskEngine, webhooks: WebhookConfig[]) {
  const task = await engine.createTask({ webhooks })
  await engine.transitionTask(task.id, 'running')
  return task
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const stores = {
  'delivery records in the store': (store: MemoryShortTermStore) => store as ShortTermStore,
  'delivery records in the process': withoutDeliveryRecords,
}

describe.each(Object.entries(stores))('a cleanup rule deleting a finished task before its deliveries are done (%s)', (_, storeOf) => {
  it('still delivers every event published before the task ended, in order, then lets the delivery go', async () => {
    // 5 ms an answer: the task ends (and is deleted) while most of its log is still unread.
    const r = await receiver(slowly(5))
    const memory = new MemoryShortTermStore()
    const shared = { broadcast: new MemoryBroadcastProvider(), store: storeOf(memory) }
    const p = start(shared)
    const task = await runningTask(p.engine, [{ url: r.url }])
    for (let i = 0; i < 30; i++) await p.engine.publishEvent(task.id, { type: 'job.n', data: i })
    await p.engine.transitionTask(task.id, 'completed')
    await until(async () => (await memory.getTask(task.id)) === null, 'the cleanup deleted the task')
    expect(r.requests.length).toBeLessThan(10)
    await p.dispatcher.idle()

    const seen = r.requests.map((q) => q.json as SSEEnvelope)
    expect(seen.map((e) => e.rawIndex)).toEqual(Array.from({ length: 32 }, (_, i) => i))
    expect(seen.map((e) => e.filteredIndex)).toEqual(Array.from({ length: 32 }, (_, i) => i))
    expect(seen.at(-1)).toMatchObject({ type: 'taskcast:status', data: { status: 'completed' } })
    expect([p.failures, p.unhandled]).toEqual([[], []])
    // Nothing left behind: no record, nothing in the index of deliveries, nothing more sent.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await memory.deliveries.claimDue(Number.MAX_SAFE_INTEGER, 0, 10)).toEqual([])
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(r.requests.length).toBe(32)
  })

  it('still delivers the events a rule deletes at once (target events), numbered as in the whole log', async () => {
    const r = await receiver(slowly(5))
    const memory = new MemoryShortTermStore()
    const shared = { broadcast: new MemoryBroadcastProvider(), store: storeOf(memory) }
    const p = start(shared, [{ trigger: { afterMs: 0 }, target: 'events', eventFilter: { types: ['job.delta'] } }])
    const task = await runningTask(p.engine, [{ url: r.url, filter: { types: ['job.*'], includeStatus: false } }])
    for (let i = 0; i < 20; i++) await p.engine.publishEvent(task.id, { type: i % 2 === 0 ? 'job.delta' : 'job.step', data: i })
    await p.engine.transitionTask(task.id, 'completed')
    await until(async () => (await memory.getEvents(task.id)).every((event) => event.type !== 'job.delta'), 'the cleanup deleted the deltas')
    expect(r.requests.length).toBeLessThan(10)
    await p.dispatcher.idle()
    const seen = r.requests.map((q) => q.json as SSEEnvelope)
    expect(seen.map((e) => [e.data, e.filteredIndex, e.rawIndex])).toEqual(Array.from({ length: 20 }, (_, i) => [i, i, i + 1]))
    expect([p.failures, p.unhandled]).toEqual([[], []])
  })

  it('ends the retries of a failing receiver as usual, reports each one, and never hangs on the vanished task', async () => {
    const r = await receiver(() => 500)
    const memory = new MemoryShortTermStore()
    const shared = { broadcast: new MemoryBroadcastProvider(), store: storeOf(memory) }
    const p = start(shared)
    const filter = { types: ['job.*'], includeStatus: false }
    const task = await runningTask(p.engine, [{ url: r.url, wrap: false, filter, retry: { retries: 2, backoff: 'fixed', initialDelayMs: 10 } }])
    await p.engine.publishEvents(task.id, [1, 2, 3].map((data) => ({ type: 'job.n', data })))
    await p.engine.transitionTask(task.id, 'failed')
    await p.dispatcher.idle()
    expect(await memory.getTask(task.id)).toBeNull()
    expect(r.requests.map((q) => q.json)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3])
    expect(p.failures.map((f) => f.payload)).toMatchObject([{ data: 1 }, { data: 2 }, { data: 3 }])
    expect(p.unhandled).toEqual([])
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(r.requests.length).toBe(9)
  })
})

describe('a task deleted by another process while this one delivers', () => {
  it('delivers what it had read, reports that the rest will not go out, and lets go', async () => {
    let release!: () => void
    const held = new Promise<number>((resolve) => (release = () => resolve(200)))
    const r = await receiver((_, n) => (n === 1 ? held : 200))
    const shared = { broadcast: new MemoryBroadcastProvider(), store: new MemoryShortTermStore() }
    const deliverer = start(shared, [])
    const ender = start(shared)
    const filter = { types: ['job.*'], includeStatus: false }
    const task = await runningTask(deliverer.engine, [{ url: r.url, wrap: false, filter }])
    await deliverer.engine.publishEvents(task.id, [1, 2].map((data) => ({ type: 'job.n', data })))
    await r.waitFor(1)
    // Read by nobody yet: the deliverer holds the lease and is busy with its first read.
    await ender.engine.publishEvents(task.id, [3, 4].map((data) => ({ type: 'job.n', data })))
    await ender.engine.transitionTask(task.id, 'completed')
    await until(async () => (await shared.store.getTask(task.id)) === null, 'the cleanup deleted the task')
    release()
    await Promise.all([deliverer.dispatcher.idle(), ender.dispatcher.idle()])

    expect(r.requests.map((q) => q.json)).toEqual([1, 2])
    expect(deliverer.unhandled.map(({ error, source, taskId }) => [source, taskId, TaskcastError.isInstance(error) && error.code])).toEqual([
      ['webhook', task.id, 'TASK_NOT_FOUND'],
    ])
    const error = deliverer.unhandled[0]!.error as TaskcastError
    expect(error.details).toEqual({ taskId: task.id, webhook: 't0', deliveredThrough: 2 })
    expect(error.message).toContain(new URL(r.url).host)
    expect([deliverer.failures, ender.failures, ender.unhandled]).toEqual([[], [], []])
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await shared.store.deliveries.claimDue(Number.MAX_SAFE_INTEGER, 0, 10)).toEqual([])
  })
})
