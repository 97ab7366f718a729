import { createHmac, timingSafeEqual } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  MemoryBroadcastProvider,
  MemoryShortTermStore,
  TaskcastError,
  TaskEngine,
  type SSEEnvelope,
  type TaskEvent,
  type WebhookConfig,
} from '@taskcast/core'
import { createWebhookDispatcher, type WebhookDispatcher, type WebhookOptions } from '../../src/webhooks/index.js'
import { afterThisTest, receiver } from './after-each-test.js'
import { type Received, type Reply } from './receiver.js'

const SECRET = 'whsec_test_secret'

interface Failure {
  config: WebhookConfig
  error: unknown
  payload: TaskEvent | SSEEnvelope
}

interface Harness {
  engine: TaskEngine
  dispatcher: WebhookDispatcher
  failures: Failure[]
  unhandled: { error: unknown; source: string }[]
}

interface SharedStores {
  broadcast: MemoryBroadcastProvider
  store: MemoryShortTermStore
}

function harness(options: WebhookOptions = {}, shared?: SharedStores): Harness {
  const engine = new TaskEngine({
    broadcast: shared?.broadcast ?? new MemoryBroadcastProvider(),
    shortTermStore: shared?.store ?? new MemoryShortTermStore(),
  })
  const dispatcher = createWebhookDispatcher({ engine, options: { allowPrivateNetworks: true, ...options } })
  const failures: Failure[] = []
  const unhandled: Harness['unhandled'] = []
  engine.addHooks(dispatcher.hooks)
  engine.addHooks({
    onWebhookFailed: (config, error, payload) => void failures.push({ config, error, payload }),
    onUnhandledError: (error, context) => void unhandled.push({ error, source: context.source }),
  })
  afterThisTest(async () => {
    await dispatcher.close()
    await engine.stop()
  })
  return { engine, dispatcher, failures, unhandled }
}

/** A running task with the given webhooks. */
async function runningTask(engine: TaskEngine, webhooks: WebhookConfig[], id?: string) {
  const task = await engine.createTask({ ...(id && { id }), webhooks })
  await engine.transitionTask(task.id, 'running')
  return task
}

const fast = { retries: 0, initialDelayMs: 20, timeoutMs: 2000 }
const onlyUserEvents = { types: ['job.*'], includeStatus: false }

function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'))
  const given = Buffer.from(header.slice('sha256='.length))
  return given.length === expected.length && timingSafeEqual(given, expected)
}

describe('webhook delivery', () => {
  it('POSTs the envelope with the documented headers and a signature over the exact body', async () => {
    const r = await receiver()
    const { engine, dispatcher } = harness()
    const task = await runningTask(engine, [{ url: `${r.url}/hook`, secret: SECRET, retry: fast }])
    const published = await engine.publishEvent(task.id, { type: 'job.progress', data: { pct: 50, note: 'ü ✓' } })
    await dispatcher.idle()

    expect(r.requests.map((q) => [q.method, q.path, q.headers['x-taskcast-event']])).toEqual([
      ['POST', '/hook', 'taskcast:status'],
      ['POST', '/hook', 'job.progress'],
    ])
    const delivery = r.requests[1]!
    expect(delivery.headers['content-type']).toBe('application/json')
    expect(delivery.headers['x-taskcast-delivery']).toBe(published.id)
    const ts = Number(delivery.headers['x-taskcast-timestamp'])
    expect(Number.isInteger(ts) && Math.abs(ts - Date.now() / 1000) < 5).toBe(true)
    expect(verifySignature(SECRET, delivery.body, delivery.headers['x-taskcast-signature'] as string)).toBe(true)
    expect(verifySignature('other-secret', delivery.body, delivery.headers['x-taskcast-signature'] as string)).toBe(false)
    expect(delivery.json).toEqual({
      filteredIndex: 1,
      rawIndex: 1,
      eventId: published.id,
      taskId: task.id,
      type: 'job.progress',
      timestamp: published.timestamp,
      level: 'info',
      data: { pct: 50, note: 'ü ✓' },
    })
  })

  it('sends no signature header when the webhook has no secret', async () => {
    const r = await receiver()
    const { engine, dispatcher } = harness()
    await runningTask(engine, [{ url: r.url, retry: fast }])
    await dispatcher.idle()
    expect(r.requests.length).toBe(1)
    expect(r.requests[0]!.headers['x-taskcast-signature']).toBeUndefined()
  })

  it('sends the bare event data when wrap is false', async () => {
    const r = await receiver()
    const { engine, dispatcher } = harness()
    const task = await runningTask(engine, [{ url: r.url, wrap: false, secret: SECRET, filter: onlyUserEvents }])
    await engine.publishEvents(task.id, [
      { type: 'job.a', data: { text: 'hi' } },
      { type: 'job.b', data: [1, 2] },
      { type: 'job.c' },
    ])
    await dispatcher.idle()
    expect(r.requests.map((q) => q.body.toString('utf8'))).toEqual(['{"text":"hi"}', '[1,2]', 'null'])
    expect(r.requests.every((q) => verifySignature(SECRET, q.body, q.headers['x-taskcast-signature'] as string))).toBe(true)
  })

  it("applies the webhook's filter and counts filteredIndex under it", async () => {
    const r = await receiver()
    const { engine, dispatcher } = harness()
    const task = await runningTask(engine, [{ url: r.url, filter: { types: ['llm.*'], levels: ['info'] } }])
    await engine.publishEvents(task.id, [
      { type: 'tool.call' }, // 1
      { type: 'llm.delta', data: 'a' }, // 2
      { type: 'llm.delta', level: 'debug' }, // 3
      { type: 'llm', data: 'not a match' }, // 4
      { type: 'llm.a.b', data: 'b' }, // 5
    ])
    await engine.transitionTask(task.id, 'completed') // 6
    await dispatcher.idle()
    const envelopes = r.requests.map((q) => q.json as SSEEnvelope)
    expect(envelopes.map((e) => [e.filteredIndex, e.rawIndex, e.type])).toEqual([
      [0, 0, 'taskcast:status'],
      [1, 2, 'llm.delta'],
      [2, 5, 'llm.a.b'],
      [3, 6, 'taskcast:status'],
    ])
  })

  it('delivers global endpoints every task and a per-task webhook only its own task', async () => {
    const global = await receiver()
    const own = await receiver()
    const { engine, dispatcher } = harness({ endpoints: [{ url: global.url, filter: onlyUserEvents }] })
    const a = await runningTask(engine, [{ url: own.url, filter: onlyUserEvents }])
    const b = await runningTask(engine, [])
    await engine.publishEvent(a.id, { type: 'job.a' })
    await engine.publishEvent(b.id, { type: 'job.b' })
    await dispatcher.idle()
    expect(global.requests.map((q) => (q.json as SSEEnvelope).taskId).sort()).toEqual([a.id, b.id].sort())
    expect(own.requests.map((q) => (q.json as SSEEnvelope).type)).toEqual(['job.a'])
  })

  it('finds the webhooks of a task created through another process', async () => {
    const r = await receiver()
    const shared = { broadcast: new MemoryBroadcastProvider(), store: new MemoryShortTermStore() }
    const creator = new TaskEngine({ broadcast: shared.broadcast, shortTermStore: shared.store })
    afterThisTest(() => creator.stop())
    const task = await creator.createTask({ webhooks: [{ url: r.url, filter: onlyUserEvents }] })
    await creator.transitionTask(task.id, 'running')
    const { engine, dispatcher } = harness({}, shared)
    await engine.publishEvents(task.id, [{ type: 'job.1' }, { type: 'job.2' }])
    await dispatcher.idle()
    expect(r.requests.map((q) => [(q.json as SSEEnvelope).type, (q.json as SSEEnvelope).filteredIndex])).toEqual([
      ['job.1', 0],
      ['job.2', 1],
    ])
  })
})

describe('webhook retries and failures', () => {
  it('retries a failing receiver and stops after the first success: exactly three attempts, spaced by the backoff', async () => {
    const r = await receiver((_, n) => (n <= 2 ? 503 : 200))
    const { engine, dispatcher, failures } = harness()
    const task = await runningTask(engine, [
      { url: r.url, secret: SECRET, filter: onlyUserEvents, retry: { retries: 3, backoff: 'exponential', initialDelayMs: 40 } },
    ])
    await engine.publishEvent(task.id, { type: 'job.step', data: { n: 1 } })
    await dispatcher.idle()
    expect(r.requests.length).toBe(3)
    const [first, second, third] = r.requests as [Received, Received, Received]
    expect(second.at - first.at).toBeGreaterThanOrEqual(40 - 2)
    expect(third.at - second.at).toBeGreaterThanOrEqual(80 - 2)
    // The same bytes, signature and delivery id on every attempt.
    expect(new Set(r.requests.map((q) => q.body.toString('hex'))).size).toBe(1)
    expect(new Set(r.requests.map((q) => q.headers['x-taskcast-signature'])).size).toBe(1)
    expect(new Set(r.requests.map((q) => q.headers['x-taskcast-delivery'])).size).toBe(1)
    expect(failures).toEqual([])
  })

  it.each([
    ['fixed', [30, 30, 30]],
    ['linear', [30, 60, 90]],
  ] as const)('spaces %s retries by the configured delays', async (backoff, delays) => {
    const r = await receiver(() => 500)
    const { engine, dispatcher, failures } = harness()
    const task = await runningTask(engine, [
      { url: r.url, filter: onlyUserEvents, retry: { retries: 3, backoff, initialDelayMs: 30, maxDelayMs: 1000 } },
    ])
    await engine.publishEvent(task.id, { type: 'job.x' })
    await dispatcher.idle()
    const at = r.requests.map((q) => q.at)
    expect(at.length).toBe(4)
    delays.forEach((delay, i) => expect(at[i + 1]! - at[i]!).toBeGreaterThanOrEqual(delay - 2))
    expect(failures.length).toBe(1)
  })

  it('reports onWebhookFailed with the envelope after the last retry of a non-2xx receiver', async () => {
    const r = await receiver(() => 500)
    const { engine, dispatcher, failures } = harness()
    const config: WebhookConfig = { url: r.url, filter: onlyUserEvents, retry: { retries: 2, initialDelayMs: 20 } }
    const task = await runningTask(engine, [config])
    const event = await engine.publishEvent(task.id, { type: 'job.x', data: 7 })
    await dispatcher.idle()
    expect(r.requests.length).toBe(3)
    expect(failures.length).toBe(1)
    const [{ config: reported, error, payload }] = failures as [Failure]
    expect(reported).toEqual(config)
    expect(TaskcastError.isInstance(error) && error.details).toEqual({ attempts: 3, reason: 'status', status: 500 })
    expect(payload).toMatchObject({ eventId: event.id, filteredIndex: 0, rawIndex: 1, data: 7 })
  })

  it('passes the event itself to onWebhookFailed when wrap is false', async () => {
    const r = await receiver(() => 400)
    const { engine, dispatcher, failures } = harness()
    const task = await runningTask(engine, [{ url: r.url, wrap: false, filter: onlyUserEvents, retry: { retries: 0 } }])
    const event = await engine.publishEvent(task.id, { type: 'job.x', data: 'd' })
    await dispatcher.idle()
    expect(failures.map((f) => f.payload)).toEqual([event])
  })

  it('cuts a receiver that never answers at timeoutMs, then reports the failure after the retries', async () => {
    const r = await receiver(() => 'hang')
    const { engine, dispatcher, failures } = harness()
    const task = await runningTask(engine, [
      { url: r.url, filter: onlyUserEvents, retry: { retries: 1, initialDelayMs: 20, timeoutMs: 150 } },
    ])
    const started = performance.now()
    await engine.publishEvent(task.id, { type: 'job.slow' })
    await dispatcher.idle()
    const elapsed = performance.now() - started
    expect(r.requests.length).toBe(2)
    expect(elapsed).toBeGreaterThanOrEqual(2 * 150 + 20 - 5)
    expect(elapsed).toBeLessThan(3000)
    expect(failures.map((f) => TaskcastError.isInstance(f.error) && f.error.details)).toEqual([{ attempts: 2, reason: 'timeout' }])
  })

  it('treats a redirect as a failure and never follows it', async () => {
    const target = await receiver()
    const r = await receiver(() => ({ status: 302, headers: { location: `${target.url}/stolen` } }))
    const { engine, dispatcher, failures } = harness()
    const task = await runningTask(engine, [{ url: r.url, filter: onlyUserEvents, retry: { retries: 1, initialDelayMs: 20 } }])
    await engine.publishEvent(task.id, { type: 'job.x' })
    await dispatcher.idle()
    expect(r.requests.length).toBe(2)
    expect(target.requests.length).toBe(0)
    expect(failures.map((f) => TaskcastError.isInstance(f.error) && f.error.details)).toEqual([
      { attempts: 2, reason: 'redirect', status: 302 },
    ])
  })

  it('reports a network error (nothing listening) after the retries', async () => {
    const r = await receiver()
    const url = r.url
    await r.close()
    const { engine, dispatcher, failures } = harness()
    const task = await runningTask(engine, [{ url, filter: onlyUserEvents, retry: { retries: 1, initialDelayMs: 20 } }])
    await engine.publishEvent(task.id, { type: 'job.x' })
    await dispatcher.idle()
    expect(failures.map((f) => TaskcastError.isInstance(f.error) && f.error.details)).toEqual([{ attempts: 2, reason: 'network' }])
  })
})

describe('webhook ordering, isolation and bounds', () => {
  it('delivers one task in index order under 100 concurrent publishes', async () => {
    const r = await receiver(async () => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2))
      return 200
    })
    const { engine, dispatcher } = harness()
    const task = await runningTask(engine, [
      { url: r.url, filter: onlyUserEvents },
      { url: `${r.url}/second`, filter: onlyUserEvents },
    ])
    await Promise.all(Array.from({ length: 100 }, (_, i) => engine.publishEvent(task.id, { type: 'job.n', data: i })))
    await dispatcher.idle()
    for (const path of ['/', '/second']) {
      const seen = r.requests.filter((q) => q.path === path).map((q) => q.json as SSEEnvelope)
      expect(seen.map((e) => e.rawIndex)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
      expect(seen.map((e) => e.filteredIndex)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    }
  })

  it('delivers what another process published, in log order, when told of the last event only', async () => {
    const r = await receiver()
    const shared = { broadcast: new MemoryBroadcastProvider(), store: new MemoryShortTermStore() }
    const other = new TaskEngine({ broadcast: shared.broadcast, shortTermStore: shared.store })
    afterThisTest(() => other.stop())
    const { engine, dispatcher } = harness({}, shared)
    const task = await runningTask(engine, [{ url: r.url, wrap: false, filter: onlyUserEvents }])
    // Published through an engine without a dispatcher: no hook announces them here.
    const events = await other.publishEvents(task.id, [1, 2, 3].map((data) => ({ type: 'job.n', data })))
    // The hook of the last one is enough: delivery reads the log, not the hooks.
    dispatcher.hooks.onEventPublished!(events[2]!)
    await dispatcher.idle()
    expect(r.requests.map((q) => q.headers['x-taskcast-delivery'])).toEqual(events.map((e) => e.id))
  })

  it('never makes publishing wait, and a stuck receiver does not hold up another task', async () => {
    let release!: () => void
    const released = new Promise<Reply>((resolve) => (release = () => resolve(200)))
    const stuck = await receiver(() => released)
    const healthy = await receiver()
    const { engine, dispatcher } = harness()
    const a = await runningTask(engine, [{ url: stuck.url, filter: onlyUserEvents }])
    const b = await runningTask(engine, [{ url: healthy.url, filter: onlyUserEvents }])
    await engine.publishEvent(a.id, { type: 'job.1' })
    await stuck.waitFor(1)
    // The first delivery of task a is in flight and unanswered; publishing goes on regardless.
    await engine.publishEvents(a.id, [{ type: 'job.2' }, { type: 'job.3' }])
    await engine.publishEvent(b.id, { type: 'job.b' })
    await healthy.waitFor(1)
    expect(stuck.requests.length).toBe(1)
    release()
    await dispatcher.idle()
    expect(stuck.requests.map((q) => (q.json as SSEEnvelope).type)).toEqual(['job.1', 'job.2', 'job.3'])
  })

  it('keeps every delivery of a backlog behind a stuck receiver: nothing is dropped', async () => {
    let release!: () => void
    const released = new Promise<Reply>((resolve) => (release = () => resolve(200)))
    const r = await receiver((_, n) => (n === 1 ? released : 200))
    const { engine, dispatcher, unhandled } = harness()
    const task = await runningTask(engine, [{ url: r.url, wrap: false, filter: onlyUserEvents }])
    await engine.publishEvent(task.id, { type: 'job.n', data: 0 })
    await r.waitFor(1)
    for (let i = 1; i < 300; i += 20) {
      await engine.publishEvents(task.id, Array.from({ length: 20 }, (_, j) => ({ type: 'job.n', data: i + j })))
    }
    release()
    await dispatcher.idle()
    expect(r.requests.map((q) => q.json)).toEqual(Array.from({ length: 301 }, (_, i) => i))
    expect(unhandled).toEqual([])
  })

  it('close() aborts requests in flight and stops retries without reporting them as failed', async () => {
    const r = await receiver(() => 'hang')
    const { engine, dispatcher, failures } = harness()
    const task = await runningTask(engine, [{ url: r.url, filter: onlyUserEvents, retry: { retries: 5, timeoutMs: 10_000 } }])
    await engine.publishEvents(task.id, [{ type: 'job.1' }, { type: 'job.2' }])
    await r.waitFor(1)
    const started = performance.now()
    await dispatcher.close()
    await dispatcher.idle()
    expect(performance.now() - started).toBeLessThan(1000)
    await r.waitForAborted(1)
    expect([r.requests.length, r.aborted, failures.length]).toEqual([1, 1, 0])
    // Nothing is sent after close.
    await engine.publishEvent(task.id, { type: 'job.3' })
    await dispatcher.idle()
    expect(r.requests.length).toBe(1)
  })
})

describe('per-task webhooks and the private-network guard at send time', () => {
  it('refuses to send a per-task webhook to a loopback receiver when private networks are not allowed', async () => {
    const r = await receiver()
    const { engine, dispatcher, failures } = harness({ allowPrivateNetworks: false })
    const task = await runningTask(engine, [{ url: r.url, filter: onlyUserEvents, retry: { retries: 3, initialDelayMs: 20 } }])
    await engine.publishEvent(task.id, { type: 'job.x' })
    await dispatcher.idle()
    expect(r.requests.length).toBe(0)
    expect(failures.map((f) => TaskcastError.isInstance(f.error) && f.error.details)).toEqual([{ attempts: 1, reason: 'refused' }])
  })

  it('trusts global endpoints from the config, loopback included', async () => {
    const r = await receiver()
    const { engine, dispatcher } = harness({ allowPrivateNetworks: false, endpoints: [{ url: r.url, filter: onlyUserEvents }] })
    const task = await runningTask(engine, [])
    await engine.publishEvent(task.id, { type: 'job.x' })
    await dispatcher.idle()
    expect(r.requests.length).toBe(1)
  })

  it('sends a per-task webhook to a loopback host on the allowlist', async () => {
    const r = await receiver()
    const { engine, dispatcher } = harness({ allowPrivateNetworks: false, allowedHosts: ['127.0.0.1'] })
    const task = await runningTask(engine, [{ url: r.url, filter: onlyUserEvents }])
    await engine.publishEvent(task.id, { type: 'job.x' })
    await dispatcher.idle()
    expect(r.requests.length).toBe(1)
  })
})

