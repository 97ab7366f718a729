// GET /tasks (SPEC §21): paging while tasks are created, filters, bad queries, scopes, the archive.
import { MemoryBroadcastProvider, MemoryLongTermStore, MemoryShortTermStore, TaskEngine, type Task } from '@taskcast/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastApp } from '../src/index.js'
import { headerAuth, json, makeEngine, type TestEngine } from './harness.js'

interface Page {
  tasks: Task[]
  nextCursor: string | null
}

async function page(app: TaskcastApp, query: string, headers: Record<string, string> = {}): Promise<Page> {
  const response = await app.request(`/tasks?${query}`, { headers })
  expect(response.status, await response.clone().text()).toBe(200)
  return (await response.json()) as Page
}

async function create(app: TaskcastApp, body: Record<string, unknown> = {}): Promise<Task> {
  const response = await app.request('/tasks', json(body, { method: 'POST' }))
  expect(response.status).toBe(201)
  return (await response.json()) as Task
}

const newestFirst = (tasks: Task[]) =>
  [...tasks].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((task) => task.id)

describe('GET /tasks', () => {
  let harness: TestEngine
  let app: TaskcastApp

  beforeAll(() => {
    harness = makeEngine()
    app = createTaskcastApp({ engine: harness.engine })
  })
  afterAll(() => harness.engine.stop())

  it('pages 1,000 tasks created concurrently, 37 at a time, each exactly once in order while more are created', async () => {
    const created = await Promise.all(Array.from({ length: 1_000 }, (_, i) => create(app, { type: `bulk.${i % 3}` })))
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    const during: Promise<Task>[] = []
    do {
      const result: Page = await page(app, `type=bulk.*&limit=37${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      seen.push(...result.tasks.map((task) => task.id))
      cursor = result.nextCursor
      pages++
      during.push(create(app, { type: 'bulk.late' }))
    } while (cursor !== null)
    expect(seen).toEqual(newestFirst(created))
    expect(pages).toBe(28)
    const late = await Promise.all(during)
    const first = await page(app, `type=bulk.late&limit=500`)
    expect(first.tasks.map((task) => task.id).sort()).toEqual(late.map((task) => task.id).sort())
  })

  it('combines status, type and created bounds', async () => {
    const a = await create(app, { type: 'combo.a' })
    const b = await create(app, { type: 'combo.b' })
    const c = await create(app, { type: 'combo.a' })
    await harness.engine.transitionTask(b.id, 'running')
    await harness.engine.transitionTask(c.id, 'running')
    await harness.engine.transitionTask(c.id, 'blocked', { request: { type: 'approval' } })
    const ids = async (query: string) => (await page(app, query)).tasks.map((task) => task.id)
    expect(await ids('type=combo.*&status=running,blocked')).toEqual([c.id, b.id])
    expect(await ids('type=combo.a&status=pending,blocked')).toEqual(newestFirst([a, c]))
    expect(await ids(`type=combo.*&createdAfter=${a.createdAt - 1}&createdBefore=${a.createdAt + 1}&status=pending`)).toEqual([a.id])
    const blocked = (await page(app, 'type=combo.*&status=blocked')).tasks
    expect(blocked).toHaveLength(1)
    expect(blocked[0]).toMatchObject({ id: c.id, status: 'blocked', blockedRequest: { type: 'approval' } })
  })

  it('answers 400 VALIDATION_ERROR naming the field for a bad limit, cursor, status, type, bound or source', async () => {
    const cases: Array<[string, string]> = [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=1.5', 'limit'],
      ['cursor=garbage', 'cursor'],
      ['cursor=c1.%2F%2F', 'cursor'],
      ['status=running,sleeping', 'status'],
      ['status=', 'status'],
      ['type=', 'type'],
      ['createdAfter=yesterday', 'createdAfter'],
      ['createdBefore=-5', 'createdBefore'],
      ['source=everywhere', 'source'],
      ['source=archive', 'source'],
    ]
    for (const [query, field] of cases) {
      const response = await app.request(`/tasks?${query}`)
      expect(response.status, query).toBe(400)
      const body = (await response.json()) as { error: { code: string; details?: { field?: string } } }
      expect(body.error.code, query).toBe('VALIDATION_ERROR')
      expect(body.error.details?.field, query).toBe(field)
    }
  })

  it('never lists a deleted task', async () => {
    const kept = await create(app, { type: 'deleted.x' })
    const gone = await create(app, { type: 'deleted.x' })
    expect((await app.request(`/tasks/${gone.id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await page(app, 'type=deleted.x')).tasks.map((task) => task.id)).toEqual([kept.id])
  })
})

describe('GET /tasks with auth', () => {
  let harness: TestEngine
  let app: TaskcastApp
  const tasks: Task[] = []

  beforeAll(async () => {
    harness = makeEngine()
    app = createTaskcastApp({ engine: harness.engine, auth: { mode: 'custom', authenticate: headerAuth } })
    for (let i = 0; i < 5; i++) tasks.push(await harness.engine.createTask({ type: 'auth.list' }))
    tasks.push(
      await harness.engine.createTask({
        type: 'auth.list',
        authConfig: { rules: [{ match: { scope: ['task:list'] }, require: { sub: ['alice'] } }] },
      }),
    )
  })
  afterAll(() => harness.engine.stop())

  it('needs task:list', async () => {
    const response = await app.request('/tasks', { headers: { 'x-scope': 'task:manage' } })
    expect(response.status).toBe(403)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN')
    expect((await app.request('/tasks')).status).toBe(401)
  })

  it('shows a token with a taskIds list only those tasks, paged', async () => {
    const allowed = [tasks[0]!, tasks[2]!, tasks[4]!]
    const headers = { 'x-scope': 'task:list', 'x-tasks': [...allowed.map((task) => task.id), 'no-such-task'].join(',') }
    const first = await page(app, 'limit=2', headers)
    expect(first.tasks.map((task) => task.id)).toEqual(newestFirst(allowed).slice(0, 2))
    expect(first.nextCursor).not.toBeNull()
    const second = await page(app, `limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`, headers)
    expect(second.tasks.map((task) => task.id)).toEqual(newestFirst(allowed).slice(2))
    expect(second.nextCursor).toBeNull()
  })

  it('leaves out a task whose own rules refuse the caller the list', async () => {
    const guarded = tasks[5]!
    const asBob = await page(app, 'type=auth.list&limit=10', { 'x-scope': 'task:list', 'x-sub': 'bob' })
    expect(asBob.tasks.map((task) => task.id)).toEqual(newestFirst(tasks.slice(0, 5)))
    const asAlice = await page(app, 'type=auth.list&limit=10', { 'x-scope': 'task:list', 'x-sub': 'alice' })
    expect(asAlice.tasks.map((task) => task.id)).toEqual(newestFirst(tasks))
    expect(asAlice.tasks[0]?.id).toBe(guarded.id)
  })
})

describe('GET /tasks?source=archive', () => {
  it('lists the long-term store with the same filters', async () => {
    const longTerm = new MemoryLongTermStore()
    const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore(), longTermStore: longTerm })
    const app = createTaskcastApp({ engine })
    const done = await engine.createTask({ type: 'arch.x' })
    await engine.transitionTask(done.id, 'running')
    await engine.transitionTask(done.id, 'completed', { result: { ok: true } })
    const other = await engine.createTask({ type: 'arch.y' })
    await engine.stop({ flushTimeoutMs: 5_000 })
    const archived = await page(app, 'source=archive&type=arch.*&status=completed')
    expect(archived.tasks.map((task) => task.id)).toEqual([done.id])
    expect(archived.tasks[0]).toMatchObject({ status: 'completed', result: { ok: true } })
    expect((await page(app, 'source=archive&type=arch.y')).tasks.map((task) => task.id)).toEqual([other.id])
  })
})
