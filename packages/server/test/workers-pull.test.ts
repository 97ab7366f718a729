// GET /workers/pull (SPEC §18): a long-poll answered with a pending task as soon as one a worker
// may take exists, first come first served, 204 at the timeout; a worker that went is given nothing.
import type { Task } from '@taskcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { TaskcastAppOptions } from '../src/index.js'
import { headerAuth, startApp, waitFor } from './harness.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const start = (options: Partial<TaskcastAppOptions> = {}) => startApp(cleanups, options)

async function pull(url: string, query: string, init: RequestInit = {}): Promise<{ status: number; task?: Task; code?: string }> {
  const response = await fetch(`${url}/workers/pull?${query}`, init)
  const text = await response.text()
  const body = text ? (JSON.parse(text) as Task & { error?: { code: string } }) : undefined
  return { status: response.status, ...(response.status === 200 && { task: body }), ...(body?.error && { code: body.error.code }) }
}

describe('GET /workers/pull', () => {
  it('answers a waiting task at once, 200, assigned to the worker', async () => {
    const { engine, url } = await start()
    const task = await engine.createTask({ type: 'job', assign: {} })
    const answer = await pull(url, 'workerId=w1&timeout=0')
    expect(answer.status).toBe(200)
    expect(answer.task).toMatchObject({ id: task.id, status: 'assigned', assignedTo: { workerId: 'w1' } })
    expect((await pull(url, 'workerId=w1&timeout=0')).status).toBe(204)
  })

  it('holds the request until a task is created, and serves waiters first come, first served', async () => {
    const { engine, url, app } = await start()
    const first = pull(url, 'workerId=first&timeout=10000')
    await waitFor(async () => ((await (await app.request('/workers')).json()) as { workers: unknown[] }).workers.length === 1, 'the first waiter')
    const second = pull(url, 'workerId=second&timeout=10000')
    await waitFor(async () => ((await (await app.request('/workers')).json()) as { workers: unknown[] }).workers.length === 2, 'the second waiter')
    expect(((await (await app.request('/workers')).json()) as { workers: unknown[] }).workers).toEqual([
      { workerId: 'first', mode: 'pull' },
      { workerId: 'second', mode: 'pull' },
    ])
    const a = await engine.createTask({ assign: {} })
    expect((await first).task?.id).toBe(a.id)
    const b = await engine.createTask({ assign: {} })
    expect((await second).task).toMatchObject({ id: b.id, assignedTo: { workerId: 'second' } })
  })

  it('offers a task given back to a waiting worker', async () => {
    const { engine, url } = await start()
    const task = await engine.createTask({ assign: {} })
    expect((await pull(url, 'workerId=w1&timeout=0')).task?.id).toBe(task.id)
    const waiting = pull(url, 'workerId=w2&timeout=10000')
    await new Promise((resolve) => setTimeout(resolve, 50))
    await engine.transitionTask(task.id, 'pending', { reason: 'released' })
    expect((await waiting).task).toMatchObject({ id: task.id, assignedTo: { workerId: 'w2' } })
  })

  it('answers 204 at the timeout, and only tasks whose type and tags the worker has', async () => {
    const { engine, url } = await start()
    const gpu = await engine.createTask({ type: 'llm.chat', assign: { tags: ['gpu'] } })
    const started = Date.now()
    expect((await pull(url, 'workerId=cpu&types=llm.*&tags=eu&timeout=200')).status).toBe(204)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect((await pull(url, 'workerId=gpu&types=render,llm.*&tags=gpu,eu&timeout=0')).task?.id).toBe(gpu.id)
  })

  it('gives nothing to a worker that went: a task created after it left stays pending', async () => {
    const { engine, url, app } = await start()
    const abort = new AbortController()
    const gone = pull(url, 'workerId=gone&timeout=10000', { signal: abort.signal }).catch(() => 'aborted')
    await waitFor(async () => ((await (await app.request('/workers')).json()) as { workers: unknown[] }).workers.length === 1, 'the waiter')
    abort.abort()
    expect(await gone).toBe('aborted')
    await waitFor(async () => ((await (await app.request('/workers')).json()) as { workers: unknown[] }).workers.length === 0, 'the waiter to leave')
    const task = await engine.createTask({ assign: {} })
    expect((await engine.getTask(task.id))?.status).toBe('pending')
    expect((await pull(url, 'workerId=next&timeout=0')).task?.id).toBe(task.id)
  })

  it('answers 400 VALIDATION_ERROR for a bad pull, naming the field', async () => {
    const { url } = await start()
    for (const [query, field] of [
      ['timeout=10', 'workerId'],
      ['workerId=w&timeout=60001', 'timeout'],
      ['workerId=w&timeout=soon', 'timeout'],
    ] as const) {
      const response = await fetch(`${url}/workers/pull?${query}`)
      expect(response.status, query).toBe(400)
      const body = (await response.json()) as { error: { code: string; details?: { field?: string } } }
      expect([body.error.code, body.error.details?.field], query).toEqual(['VALIDATION_ERROR', field])
    }
    for (const query of ['workerId=', 'workerId=w&tags=a,,b', 'workerId=w&types=']) {
      const response = await fetch(`${url}/workers/pull?${query}&timeout=0`)
      expect(response.status, query).toBe(400)
    }
  })

  it('counts waiting workers and times each assignment from the task’s creation in /metrics', async () => {
    const { engine, url, app } = await start({ metrics: {} })
    const metric = async (name: string) => {
      const text = await (await fetch(`${url}/metrics`)).text()
      return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1])
    }
    const waiting = pull(url, 'workerId=w&timeout=10000')
    await waitFor(async () => ((await (await app.request('/workers')).json()) as { workers: unknown[] }).workers.length === 1, 'the waiter')
    expect(await metric('taskcast_workers_waiting')).toBe(1)
    expect(await metric('taskcast_tasks_waiting')).toBe(0)
    expect(await metric('taskcast_workers_connected')).toBe(0)
    // A labelled histogram has no sample before its first observation.
    expect(await metric('taskcast_assignment_wait_seconds_count')).toBeNaN()
    await engine.createTask({ type: 'job', assign: {} })
    expect((await waiting).status).toBe(200)
    expect(await metric('taskcast_workers_waiting')).toBe(0)
    expect(await metric('taskcast_assignment_wait_seconds_count')).toBe(1)
    // Waiting means pending with assign: a task for no worker, and the assigned one, do not count.
    await engine.createTask({ type: 'job' })
    await Promise.all([0, 1, 2].map(() => engine.createTask({ type: 'other', assign: {} })))
    expect(await metric('taskcast_tasks_waiting')).toBe(3)
  })

  it('needs worker:pull, and GET /workers needs task:manage', async () => {
    const { url } = await start({ auth: { mode: 'custom', authenticate: headerAuth } })
    expect((await pull(url, 'workerId=w&timeout=0', { headers: { 'x-scope': 'task:manage' } })).status).toBe(403)
    expect((await pull(url, 'workerId=w&timeout=0', { headers: { 'x-scope': 'worker:pull' } })).status).toBe(204)
    expect((await fetch(`${url}/workers`, { headers: { 'x-scope': 'worker:pull' } })).status).toBe(403)
    expect((await fetch(`${url}/workers`, { headers: { 'x-scope': 'task:manage' } })).status).toBe(200)
  })
})
