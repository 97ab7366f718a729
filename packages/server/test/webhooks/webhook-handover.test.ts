// Delivery as a reader of the task's log, shared through the store: several dispatchers on one
// store (as several processes on one Redis), restarts, a dead owner's lease, a dead publisher.
import { describe, expect, it } from 'vitest'
import {
  MemoryBroadcastProvider,
  MemoryShortTermStore,
  TaskEngine,
  type Clock,
  type SSEEnvelope,
  type WebhookConfig,
} from '@taskcast/core'
import { systemClock } from '@taskcast/core/internal'
import { createWebhookDispatcher, type WebhookDispatcher, type WebhookOptions } from '../../src/webhooks/index.js'
import { afterThisTest, receiver } from './after-each-test.js'
import { type Received } from './receiver.js'

/** One store and broadcast, shared by the "processes" of a test. */
function service() {
  return { broadcast: new MemoryBroadcastProvider(), store: new MemoryShortTermStore() }
}
type Service = ReturnType<typeof service>

interface Process {
  engine: TaskEngine
  dispatcher: WebhookDispatcher
  failures: { error: unknown; payload: unknown }[]
  stop(): Promise<void>
}

/** A process of the service: an engine with a dispatcher. */
function start(shared: Service, options: WebhookOptions = {}, clock?: Clock): Process {
  const engine = new TaskEngine({ broadcast: shared.broadcast, shortTermStore: shared.store })
  const dispatcher = createWebhookDispatcher({ engine, options: { allowPrivateNetworks: true, ...options }, ...(clock && { clock }) })
  const failures: Process['failures'] = []
  engine.addHooks(dispatcher.hooks)
  engine.addHooks({ onWebhookFailed: (_, error, payload) => void failures.push({ error, payload }) })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await dispatcher.close()
    await engine.stop()
  }
  afterThisTest(stop)
  return { engine, dispatcher, failures, stop }
}

/** A clock and a fetch that stop dead on `freeze()`, as a process that hangs or was killed. */
function freezable() {
  let frozen = false
  const clock: Clock = {
    now: () => Date.now(),
    setTimeout: (fn, ms) => systemClock.setTimeout(() => frozen || fn(), ms),
    clearTimeout: (handle) => systemClock.clearTimeout(handle),
  }
  const hang: typeof fetch = (url, init) =>
    frozen
      ? new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))))
      : fetch(url, init)
  return { clock, fetch: hang, freeze: () => void (frozen = true) }
}

const onlyJobs = { types: ['job.*'], includeStatus: false }

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

const envelopes = (requests: Received[]) => requests.map((q) => q.json as SSEEnvelope)
/** The first delivery of each event (by X-Taskcast-Delivery), in arrival order. */
const firstOfEach = (requests: Received[]) => {
  const seen = new Set<string>()
  return requests.filter((q) => {
    const id = String(q.headers['x-taskcast-delivery'])
    return !seen.has(id) && seen.add(id)
  })
}

describe('webhook delivery shared through the store', () => {
  it('two processes publishing in turn deliver every event once, in index order, with filteredIndex over the whole log', async () => {
    const r = await receiver(async () => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2))
      return 200
    })
    const shared = service()
    const a = start(shared)
    const b = start(shared)
    const task = await runningTask(a.engine, [{ url: r.url, filter: onlyJobs }])
    for (let i = 0; i < 100; i++) {
      const through = i % 2 === 0 ? a : b
      await through.engine.publishEvent(task.id, { type: i % 3 === 0 ? 'other.n' : 'job.n', data: i })
    }
    await b.engine.transitionTask(task.id, 'completed')
    await Promise.all([a.dispatcher.idle(), b.dispatcher.idle()])
    const selected = Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 !== 0)
    const seen = envelopes(r.requests)
    expect(seen.map((e) => e.data)).toEqual(selected)
    expect(seen.map((e) => e.rawIndex)).toEqual(selected.map((i) => i + 1))
    expect(seen.map((e) => e.filteredIndex)).toEqual(selected.map((_, n) => n))
  })

  it('a restarted process resumes after the last delivered event, with filteredIndex going on', async () => {
    const r = await receiver()
    const shared = service()
    const first = start(shared)
    const task = await runningTask(first.engine, [{ url: r.url, filter: onlyJobs }])
    await first.engine.publishEvents(task.id, [{ type: 'job.1' }, { type: 'skip' }, { type: 'job.2' }])
    await first.dispatcher.idle()
    await first.stop()
    // Published while no process delivers (by a producer on an engine without webhooks).
    const producer = new TaskEngine({ broadcast: shared.broadcast, shortTermStore: shared.store })
    afterThisTest(() => producer.stop())
    await producer.publishEvents(task.id, [{ type: 'job.3' }, { type: 'skip' }])
    const second = start(shared)
    await second.engine.publishEvent(task.id, { type: 'job.4' })
    await second.dispatcher.idle()
    expect(envelopes(r.requests).map((e) => [e.type, e.filteredIndex, e.rawIndex])).toEqual([
      ['job.1', 0, 1],
      ['job.2', 1, 3],
      ['job.3', 2, 4],
      ['job.4', 3, 6],
    ])
  })

  it("takes over a dead owner's delivery once its lease expires, from the cursor it stored", async () => {
    const r = await receiver()
    const shared = service()
    const frozen = freezable()
    const dying = start(shared, { leaseMs: 300, fetch: frozen.fetch }, frozen.clock)
    const live = start(shared, { leaseMs: 300, sweepMs: 20 })
    const task = await runningTask(live.engine, [{ url: r.url, wrap: false, filter: onlyJobs }])
    await dying.engine.publishEvent(task.id, { type: 'job.n', data: 1 })
    await dying.dispatcher.idle()
    // From here on the process is as good as dead: no request gets out, no timer fires, no renewal.
    frozen.freeze()
    await dying.engine.publishEvent(task.id, { type: 'job.n', data: 2 })
    const frozeAt = Date.now()
    await live.engine.publishEvents(task.id, [3, 4].map((data) => ({ type: 'job.n', data })))
    await until(() => r.requests.length === 4, 'the live process delivered the rest')
    expect(Date.now() - frozeAt).toBeGreaterThanOrEqual(300 - 20)
    expect(r.requests.map((q) => q.json)).toEqual([1, 2, 3, 4])
  })

  it('finds an event whose publisher died before it could start the delivery', async () => {
    const r = await receiver()
    const shared = service()
    const live = start(shared, { recheckMs: 100, sweepMs: 20 })
    const task = await runningTask(live.engine, [{ url: r.url, wrap: false, filter: onlyJobs }])
    // Stored, but no hook ran anywhere: the publisher died right after the write.
    await shared.store.appendEvents(task.id, [{ id: 'e-orphan', taskId: task.id, timestamp: Date.now(), type: 'job.n', level: 'info', data: 'orphan' }])
    await until(() => r.requests.length === 1, 'the sweep found the event')
    expect(r.requests[0]!.headers['x-taskcast-delivery']).toBe('e-orphan')
  })

  it('close() lets the leases go, and another process resumes at once, repeating at most the delivery in flight', async () => {
    let hang = true
    const r = await receiver(() => (hang ? 'hang' : 200))
    const shared = service()
    const leaving = start(shared, { leaseMs: 60_000 })
    const staying = start(shared, { leaseMs: 60_000, sweepMs: 20 })
    const task = await runningTask(leaving.engine, [{ url: r.url, wrap: false, filter: onlyJobs, retry: { timeoutMs: 30_000 } }])
    await leaving.engine.publishEvents(task.id, [1, 2, 3].map((data) => ({ type: 'job.n', data })))
    await r.waitFor(1)
    hang = false
    await leaving.stop()
    // Well before the 60 s lease would have expired.
    await until(() => firstOfEach(r.requests).length === 3, 'the other process delivered everything', 3000)
    expect(r.requests.map((q) => q.json)).toEqual([1, 1, 2, 3])
  })

  it('reports a delivery that exhausts its retries, then delivers the next one', async () => {
    const r = await receiver((q) => ((q.json as SSEEnvelope).data === 'bad' ? 500 : 200))
    const shared = service()
    const p = start(shared)
    const task = await runningTask(p.engine, [{ url: r.url, filter: onlyJobs, retry: { retries: 1, initialDelayMs: 10 } }])
    await p.engine.publishEvents(task.id, ['ok-1', 'bad', 'ok-2'].map((data) => ({ type: 'job.n', data })))
    await p.dispatcher.idle()
    expect(envelopes(r.requests).map((e) => [e.data, e.filteredIndex])).toEqual([
      ['ok-1', 0],
      ['bad', 1],
      ['bad', 1],
      ['ok-2', 2],
    ])
    expect(p.failures.map((f) => (f.payload as SSEEnvelope).data)).toEqual(['bad'])
  })

  it('ends a finished task’s deliveries: done in the store and out of the index of deliveries', async () => {
    const r = await receiver()
    const shared = service()
    const p = start(shared)
    const task = await runningTask(p.engine, [{ url: r.url, filter: onlyJobs }])
    await p.engine.publishEvent(task.id, { type: 'job.n' })
    await p.engine.transitionTask(task.id, 'completed')
    await p.dispatcher.idle()
    // The index is updated in the background, after the worker ended.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await shared.store.deliveries.acquire(task.id, 't0', 'anyone', 1000)).toEqual({ status: 'done' })
    expect(await shared.store.deliveries.claimDue(Number.MAX_SAFE_INTEGER, 0, 10)).toEqual([])
    expect(r.requests.length).toBe(1)
  })

  it('still delivers what it read of a task that a cleanup rule deletes as soon as it ends', async () => {
    const r = await receiver(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      return 200
    })
    const shared = service()
    const engine = new TaskEngine({
      broadcast: shared.broadcast,
      shortTermStore: shared.store,
      cleanup: { rules: [{ trigger: { afterMs: 0 }, target: 'all' }] },
    })
    const dispatcher = createWebhookDispatcher({ engine, options: { allowPrivateNetworks: true } })
    engine.addHooks(dispatcher.hooks)
    afterThisTest(async () => {
      await dispatcher.close()
      await engine.stop()
    })
    const task = await runningTask(engine, [{ url: r.url, wrap: false, filter: onlyJobs }])
    await engine.publishEvents(task.id, [1, 2, 3].map((data) => ({ type: 'job.n', data })))
    await engine.transitionTask(task.id, 'completed')
    await until(async () => (await shared.store.getTask(task.id)) === null, 'the cleanup deleted the task')
    await dispatcher.idle()
    expect(r.requests.map((q) => q.json)).toEqual([1, 2, 3])
  })

  it('never delivers a new task under a reused id to the webhooks of the old one', async () => {
    const oldHook = await receiver()
    const newHook = await receiver()
    const shared = service()
    const a = start(shared)
    const b = start(shared)
    const task = await runningTask(a.engine, [{ url: oldHook.url, wrap: false, filter: onlyJobs }])
    await a.engine.publishEvent(task.id, { type: 'job.n', data: 'old' })
    await a.dispatcher.idle()
    // Deleted and created again through another process: a still remembers the old webhooks.
    await b.engine.deleteTask(task.id)
    await new Promise((resolve) => setTimeout(resolve, 5))
    const again = await b.engine.createTask({ id: task.id, webhooks: [{ url: newHook.url, wrap: false, filter: onlyJobs }] })
    await b.engine.transitionTask(again.id, 'running')
    await a.engine.publishEvent(task.id, { type: 'job.n', data: 'new' })
    await Promise.all([a.dispatcher.idle(), b.dispatcher.idle()])
    await until(() => newHook.requests.length === 1, 'the new webhook got the new event')
    expect(oldHook.requests.map((q) => q.json)).toEqual(['old'])
    expect(newHook.requests.map((q) => q.json)).toEqual(['new'])
  })
})
