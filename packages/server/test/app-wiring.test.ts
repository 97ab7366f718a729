// What createTaskcastApp wires around the routes: extra hooks, webhook delivery, option checks, close().
import type { Task } from '@taskcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createTaskcastApp } from '../src/index.js'
import { json, makeEngine } from './harness.js'
import { startReceiver, type Receiver } from './webhooks/receiver.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('createTaskcastApp wiring', () => {
  it('delivers events to a per-task webhook created through the API, until close()', async () => {
    const receiver: Receiver = await startReceiver()
    cleanups.push(() => receiver.close())
    const { engine } = makeEngine()
    const app = createTaskcastApp({ engine, webhooks: { allowPrivateNetworks: true } })
    cleanups.push(() => app.close())
    const created = await app.request(
      '/tasks',
      json({ id: 'w', webhooks: [{ url: `${receiver.url}/hook`, filter: { types: ['report.*'], includeStatus: false } }] }, { method: 'POST' }),
    )
    expect(created.status).toBe(201)
    await app.request('/tasks/w/status', json({ status: 'running' }, { method: 'PATCH' }))
    await app.request('/tasks/w/events', json([{ type: 'report.progress', data: 1 }, { type: 'other' }, { type: 'report.done', data: 2 }], { method: 'POST' }))
    const requests = await receiver.waitFor(2)
    expect(requests.map((r) => [r.path, r.headers['x-taskcast-event'], (r.json as { filteredIndex: number; data: unknown }).filteredIndex, (r.json as { data: unknown }).data])).toEqual([
      ['/hook', 'report.progress', 0, 1],
      ['/hook', 'report.done', 1, 2],
    ])
  })

  it('adds the hooks option to the engine and removes it on close()', async () => {
    const created: string[] = []
    const { engine } = makeEngine()
    const app = createTaskcastApp({ engine, hooks: { onTaskCreated: (task: Task) => void created.push(task.id) } })
    await app.request('/tasks', json({ id: 'a' }, { method: 'POST' }))
    await app.close()
    await engine.createTask({ id: 'b' })
    expect(created).toEqual(['a'])
    // close() is idempotent.
    await app.close()
  })

  it('rejects nonsensical limits at creation', () => {
    const { engine } = makeEngine()
    expect(() => createTaskcastApp({ engine, limits: { maxBodyBytes: 0 } })).toThrow(/maxBodyBytes/)
    expect(() => createTaskcastApp({ engine, limits: { maxBatchSize: 1.5 } })).toThrow(/maxBatchSize/)
    expect(() => createTaskcastApp({ engine, sse: { heartbeatMs: -1 } })).toThrow(/heartbeatMs/)
    expect(() => createTaskcastApp({} as never)).toThrow(/engine/)
  })

  it('applies configured body and batch limits', async () => {
    const { engine } = makeEngine()
    const app = createTaskcastApp({ engine, limits: { maxBodyBytes: 100, maxBatchSize: 2 } })
    cleanups.push(() => app.close())
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')
    const tooBig = await app.request('/tasks/t/events', json({ type: 'a', data: 'x'.repeat(100) }, { method: 'POST' }))
    expect(tooBig.status).toBe(413)
    const tooMany = await app.request('/tasks/t/events', json([{ type: 'a' }, { type: 'b' }, { type: 'c' }], { method: 'POST' }))
    expect(tooMany.status).toBe(413)
    expect(await tooMany.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'a batch holds at most 2 events (got 3)' } })
    expect((await app.request('/tasks/t/events', json([{ type: 'a' }, { type: 'b' }], { method: 'POST' }))).status).toBe(201)
  })
})
