// REST routes through app.request(): success shapes, status codes and the one error body.
import { MemoryShortTermStore, TaskcastError, type Task, type TaskEvent } from '@taskcast/core'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastApp } from '../src/index.js'
import { json, makeEngine } from './harness.js'

const apps: TaskcastApp[] = []
function setup(options: Partial<Parameters<typeof createTaskcastApp>[0]> = {}) {
  const harness = makeEngine()
  const app = createTaskcastApp({ engine: harness.engine, ...options })
  apps.push(app)
  return { ...harness, app }
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

async function body<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T
}

describe('task routes', () => {
  it('creates a task with 201 and reads it back', async () => {
    const { app } = setup()
    const created = await app.request('/tasks', json({ id: 'job-1', type: 'llm.chat', params: { prompt: 'hi' }, ttl: 60 }, { method: 'POST' }))
    expect(created.status).toBe(201)
    const task = await body<Task>(created)
    expect(task).toMatchObject({ id: 'job-1', type: 'llm.chat', status: 'pending', params: { prompt: 'hi' }, ttl: 60 })
    const read = await app.request('/tasks/job-1')
    expect(read.status).toBe(200)
    expect(await body(read)).toEqual({ ...task, subscribers: 0 })
  })

  it('creates a task from an empty body with a generated ULID', async () => {
    const { app } = setup()
    const created = await app.request('/tasks', { method: 'POST' })
    expect(created.status).toBe(201)
    expect((await body<Task>(created)).id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
  })

  it('refuses a JSON null or array as a task', async () => {
    const { app } = setup()
    for (const text of ['null', '[]', '"task"']) {
      const refused = await app.request('/tasks', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text })
      expect([text, refused.status, (await body<{ error: { code: string; message: string } }>(refused)).error]).toEqual([
        text,
        400,
        { code: 'VALIDATION_ERROR', message: 'task must be an object' },
      ])
    }
  })

  it('refuses an empty body declared as JSON instead of creating a blank task', async () => {
    const { app } = setup()
    const refused = await app.request('/tasks', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: ' ' })
    expect([refused.status, (await body<{ error: { code: string } }>(refused)).error]).toEqual([
      400,
      { code: 'VALIDATION_ERROR', message: 'request body is empty but declared as JSON' },
    ])
  })

  it('transitions through PATCH /tasks/:id/status and returns the updated task', async () => {
    const { app, engine } = setup()
    await engine.createTask({ id: 't' })
    const running = await app.request('/tasks/t/status', json({ status: 'running' }, { method: 'PATCH' }))
    expect(running.status).toBe(200)
    expect((await body<Task>(running)).status).toBe('running')
    const done = await app.request('/tasks/t/status', json({ status: 'completed', result: { answer: 42 } }, { method: 'PATCH' }))
    expect(done.status).toBe(200)
    expect(await body(done)).toMatchObject({ status: 'completed', result: { answer: 42 } })
    const failed = await app.request('/tasks/t/status', json({ status: 'failed', error: { message: 'x' } }, { method: 'PATCH' }))
    expect(failed.status).toBe(400)
    expect(await body(failed)).toEqual({
      error: { code: 'INVALID_TRANSITION', message: 'cannot move a task from completed to failed' },
    })
  })

  it('deletes a task with 204, then answers 404', async () => {
    const { app, engine } = setup()
    await engine.createTask({ id: 't' })
    const deleted = await app.request('/tasks/t', { method: 'DELETE' })
    expect(deleted.status).toBe(204)
    expect(await deleted.text()).toBe('')
    expect(await engine.getTask('t')).toBeNull()
    const again = await app.request('/tasks/t', { method: 'DELETE' })
    expect(again.status).toBe(404)
    expect((await body<{ error: { code: string } }>(again)).error.code).toBe('TASK_NOT_FOUND')
  })

  it('answers 404 TASK_NOT_FOUND for a missing task on every task route', async () => {
    const { app } = setup()
    const requests: [string, RequestInit][] = [
      ['/tasks/nope', {}],
      ['/tasks/nope/status', json({ status: 'running' }, { method: 'PATCH' })],
      ['/tasks/nope', { method: 'DELETE' }],
      ['/tasks/nope/events', json({ type: 'x' }, { method: 'POST' })],
      ['/tasks/nope/events', {}],
      ['/tasks/nope/events/history', {}],
    ]
    for (const [path, init] of requests) {
      const response = await app.request(path, init)
      expect([path, init.method ?? 'GET', response.status]).toEqual([path, init.method ?? 'GET', 404])
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect((await body<{ error: { code: string } }>(response)).error.code).toBe('TASK_NOT_FOUND')
    }
  })

  it('never returns webhook secrets', async () => {
    const { app, engine } = setup({ webhooks: { allowPrivateNetworks: true } })
    const created = await app.request(
      '/tasks',
      json({ id: 'w', webhooks: [{ url: 'http://127.0.0.1:9/hook', secret: 's3cret' }] }, { method: 'POST' }),
    )
    expect(created.status).toBe(201)
    expect((await body<Task>(created)).webhooks).toEqual([{ url: 'http://127.0.0.1:9/hook', secret: '[redacted]' }])
    expect((await body<Task>(await app.request('/tasks/w'))).webhooks).toEqual([{ url: 'http://127.0.0.1:9/hook', secret: '[redacted]' }])
    expect((await engine.getTask('w'))?.webhooks?.[0]?.secret).toBe('s3cret')
  })

  it('refuses a per-task webhook to a private address unless allowed', async () => {
    const { app, engine } = setup()
    const response = await app.request('/tasks', json({ id: 'w', webhooks: [{ url: 'http://127.0.0.1:9/hook' }] }, { method: 'POST' }))
    expect(response.status).toBe(400)
    expect((await body<{ error: { code: string } }>(response)).error.code).toBe('VALIDATION_ERROR')
    expect(await engine.getTask('w')).toBeNull()
  })
})

describe('event routes', () => {
  async function runningTask(engine: ReturnType<typeof setup>['engine'], id = 't') {
    await engine.createTask({ id })
    await engine.transitionTask(id, 'running')
  }

  it('publishes one event (201 event) and a batch (201 events with consecutive indexes)', async () => {
    const { app, engine } = setup()
    await runningTask(engine)
    const one = await app.request('/tasks/t/events', json({ type: 'llm.delta', data: { text: 'a' } }, { method: 'POST' }))
    expect(one.status).toBe(201)
    expect(await body(one)).toMatchObject({ taskId: 't', index: 1, type: 'llm.delta', level: 'info', data: { text: 'a' } })
    const batch = await app.request(
      '/tasks/t/events',
      json([{ type: 'a' }, { type: 'b', level: 'warn', data: 'x' }], { method: 'POST' }),
    )
    expect(batch.status).toBe(201)
    const events = await body<TaskEvent[]>(batch)
    expect(events.map((e) => [e.index, e.type, e.level])).toEqual([
      [2, 'a', 'info'],
      [3, 'b', 'warn'],
    ])
  })

  it('accepts a batch of exactly the limit, and refuses an empty batch with VALIDATION_ERROR', async () => {
    const { app, engine } = setup({ limits: { maxBatchSize: 3 } })
    await runningTask(engine)
    const full = await app.request('/tasks/t/events', json([{ type: 'a' }, { type: 'b' }, { type: 'c' }], { method: 'POST' }))
    expect(full.status).toBe(201)
    const empty = await app.request('/tasks/t/events', json([], { method: 'POST' }))
    expect([empty.status, await body(empty)]).toEqual([
      400,
      { error: { code: 'VALIDATION_ERROR', message: 'a batch needs at least one event' } },
    ])
    expect((await engine.getEvents('t')).map((e) => e.index)).toEqual([0, 1, 2, 3])
  })

  it('serves filtered history with the §8 query parameters', async () => {
    const { app, engine } = setup()
    await runningTask(engine)
    await engine.publishEvents('t', [
      { type: 'llm.delta', data: { text: 'He' }, seriesId: 's', seriesMode: 'accumulate' },
      { type: 'tool.call', level: 'debug', data: 1 },
      { type: 'llm.delta', data: { text: 'llo' }, seriesId: 's', seriesMode: 'accumulate' },
    ])
    const all = await body<TaskEvent[]>(await app.request('/tasks/t/events/history'))
    expect(all.map((e) => e.index)).toEqual([0, 1, 2, 3])
    const llm = await body<TaskEvent[]>(await app.request('/tasks/t/events/history?types=llm.*&includeStatus=false&seriesFormat=accumulated'))
    expect(llm.map((e) => [e.index, e.data])).toEqual([
      [1, { text: 'He' }],
      [3, { text: 'Hello' }],
    ])
    const limited = await body<TaskEvent[]>(await app.request('/tasks/t/events/history?includeStatus=false&since.index=0&limit=1'))
    expect(limited.map((e) => e.index)).toEqual([2])
    const levels = await body<TaskEvent[]>(await app.request('/tasks/t/events/history?levels=debug&includeStatus=false'))
    expect(levels.map((e) => e.type)).toEqual(['tool.call'])
  })
})

describe('health', () => {
  it('answers 200 with each store when they answer', async () => {
    const { app } = setup()
    const response = await app.request('/health')
    expect(response.status).toBe(200)
    expect(await body(response)).toEqual({ ok: true, shortTerm: true })
  })

  it('answers 503 STORE_UNAVAILABLE when a store does not answer, and needs no credentials', async () => {
    class UnreachableStore extends MemoryShortTermStore {
      override async ping(): Promise<void> {
        throw new TaskcastError('STORE_UNAVAILABLE', 'connection refused')
      }
    }
    const harness = makeEngine({ store: new UnreachableStore() })
    const app = createTaskcastApp({ engine: harness.engine, auth: { mode: 'custom', authenticate: async () => null } })
    apps.push(app)
    const response = await app.request('/health')
    expect(response.status).toBe(503)
    expect(await body(response)).toEqual({
      error: { code: 'STORE_UNAVAILABLE', message: 'a store does not answer', details: { ok: false, shortTerm: false } },
    })
    // The rest of the API does need them.
    expect((await app.request('/tasks/x')).status).toBe(401)
  })
})

describe('mounting and errors', () => {
  it('works mounted under a prefix of another Hono app, errors included', async () => {
    const { app, engine } = setup()
    const host = new Hono()
    host.get('/', (c) => c.text('host'))
    host.route('/taskcast', app)
    const created = await host.request('/taskcast/tasks', json({ id: 'm' }, { method: 'POST' }))
    expect(created.status).toBe(201)
    expect((await host.request('/taskcast/tasks/m/status', json({ status: 'running' }, { method: 'PATCH' }))).status).toBe(200)
    const published = await host.request('/taskcast/tasks/m/events', json({ type: 'x' }, { method: 'POST' }))
    expect(published.status).toBe(201)
    expect((await engine.getEvents('m')).map((e) => e.type)).toEqual(['taskcast:status', 'x'])
    const missing = await host.request('/taskcast/tasks/none')
    expect(missing.status).toBe(404)
    expect(await body(missing)).toEqual({ error: { code: 'TASK_NOT_FOUND', message: 'task none not found' } })
    const bad = await host.request('/taskcast/tasks', json('{', { method: 'POST' }))
    expect(bad.status).toBe(400)
    expect((await body<{ error: { code: string } }>(bad)).error.code).toBe('VALIDATION_ERROR')
    expect((await host.request('/taskcast/health')).status).toBe(200)
    expect(await (await host.request('/')).text()).toBe('host')
  })

  it('answers an unknown path with ROUTE_NOT_FOUND, which a missing task never gets', async () => {
    const { app } = setup()
    const response = await app.request('/nowhere')
    expect(response.status).toBe(404)
    expect(await body(response)).toEqual({ error: { code: 'ROUTE_NOT_FOUND', message: 'no route for GET /nowhere' } })
    const wrongMethod = await app.request('/tasks/x/status', { method: 'PUT' })
    expect([wrongMethod.status, (await body<{ error: { code: string } }>(wrongMethod)).error.code]).toEqual([404, 'ROUTE_NOT_FOUND'])
  })

  it('turns an unexpected failure into 500 INTERNAL with a generic message, reported to onUnhandledError', async () => {
    class BrokenStore extends MemoryShortTermStore {
      override async getTask(): Promise<Task | null> {
        throw new Error('secret connection string leaked in message')
      }
    }
    const reported: unknown[] = []
    const harness = makeEngine({ store: new BrokenStore(), hooks: { onUnhandledError: (error) => reported.push(error) } })
    const app = createTaskcastApp({ engine: harness.engine })
    apps.push(app)
    const response = await app.request('/tasks/x')
    expect(response.status).toBe(500)
    expect(await body(response)).toEqual({ error: { code: 'INTERNAL', message: 'internal server error' } })
    expect(reported).toHaveLength(1)
    expect((reported[0] as Error).message).toBe('secret connection string leaked in message')
  })
})
