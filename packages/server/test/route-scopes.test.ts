// Which scope each route needs (SPEC §7), task ids in the grant, and per-task rules, as wired by createTaskcastApp.
import { PERMISSION_SCOPES, type PermissionScope } from '@taskcast/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastApp } from '../src/index.js'
import { headerAuth, json, makeEngine, type TestEngine } from './harness.js'

interface Route {
  name: string
  path: string
  init: () => RequestInit
  scopes: PermissionScope[]
}

const routes: Route[] = [
  { name: 'POST /tasks', path: '/tasks', init: () => json({}, { method: 'POST' }), scopes: ['task:create'] },
  { name: 'GET /tasks', path: '/tasks', init: () => ({}), scopes: ['task:list'] },
  { name: 'GET /tasks/:id', path: '/tasks/done', init: () => ({}), scopes: ['event:subscribe', 'task:manage'] },
  { name: 'PATCH /tasks/:id/status', path: '/tasks/pending/status', init: () => json({ status: 'done' }, { method: 'PATCH' }), scopes: ['task:manage'] },
  { name: 'POST /tasks/:id/resolve', path: '/tasks/pending/resolve', init: () => json({ data: 'yes' }, { method: 'POST' }), scopes: ['task:resolve', 'task:manage'] },
  { name: 'POST /tasks/:id/cancel', path: '/tasks/done/cancel', init: () => json({}, { method: 'POST' }), scopes: ['task:cancel', 'task:manage'] },
  { name: 'DELETE /tasks/:id', path: '/tasks/absent', init: () => ({ method: 'DELETE' }), scopes: ['task:manage'] },
  { name: 'POST /tasks/:id/events', path: '/tasks/done/events', init: () => json({ type: 'a' }, { method: 'POST' }), scopes: ['event:publish'] },
  { name: 'GET /tasks/:id/events', path: '/tasks/done/events', init: () => ({}), scopes: ['event:subscribe'] },
  { name: 'GET /tasks/:id/events/history', path: '/tasks/done/events/history', init: () => ({}), scopes: ['event:history'] },
]

/** Auth from headers: `x-scope` (comma list), `x-tasks` (comma list or *), `x-sub`. */
function withAuth(init: RequestInit, scope: readonly string[], tasks = '*', sub?: string): RequestInit {
  return {
    ...init,
    headers: { ...(init.headers as Record<string, string>), 'x-scope': scope.join(','), 'x-tasks': tasks, ...(sub && { 'x-sub': sub }) },
  }
}

async function code(response: Response): Promise<string | undefined> {
  if (!response.headers.get('content-type')?.startsWith('application/json')) {
    await response.body?.cancel()
    return undefined
  }
  const body = (await response.json()) as { error?: { code: string } }
  return body.error?.code
}

describe('route scopes', () => {
  let harness: TestEngine
  let app: TaskcastApp

  beforeAll(async () => {
    harness = makeEngine()
    app = createTaskcastApp({ engine: harness.engine, auth: { mode: 'custom', authenticate: headerAuth } })
    const { engine } = harness
    await engine.createTask({ id: 'pending' })
    await engine.createTask({
      id: 'done',
      authConfig: { rules: [{ match: { scope: ['event:subscribe'] }, require: { sub: ['alice'] } }] },
    })
    await engine.transitionTask('done', 'running')
    await engine.transitionTask('done', 'completed')
  })
  afterAll(() => app.close())

  it.each(routes)('$name refuses a caller without its scope (403) or without credentials (401)', async ({ path, init, scopes }) => {
    const others = PERMISSION_SCOPES.filter((s) => s !== '*' && !scopes.includes(s))
    const forbidden = await app.request(path, withAuth(init(), others, '*', 'alice'))
    expect([forbidden.status, await code(forbidden)]).toEqual([403, 'FORBIDDEN'])
    const anonymous = await app.request(path, init())
    expect([anonymous.status, await code(anonymous)]).toEqual([401, 'UNAUTHORIZED'])
  })

  it.each(routes)('$name lets each of its scopes through', async ({ path, init, scopes }) => {
    for (const scope of scopes) {
      const response = await app.request(path, withAuth(init(), [scope], '*', 'alice'))
      const result = [response.status, await code(response)]
      expect(result[0]).not.toBe(401)
      expect(result[1]).not.toBe('FORBIDDEN')
    }
  })

  it('refuses a task route for a task outside the grant', async () => {
    const response = await app.request('/tasks/done/events/history', withAuth({}, ['*'], 'pending,other'))
    expect([response.status, await code(response)]).toEqual([403, 'FORBIDDEN'])
    const allowed = await app.request('/tasks/done/events/history', withAuth({}, ['*'], 'pending,done'))
    expect(allowed.status).toBe(200)
  })

  it("applies the task's own rules after the global check, per scope", async () => {
    const bob = (path: string, scope: PermissionScope[]) => app.request(path, withAuth({}, scope, '*', 'bob'))
    expect(await code(await bob('/tasks/done/events', ['event:subscribe']))).toBe('FORBIDDEN')
    expect(await code(await bob('/tasks/done', ['event:subscribe']))).toBe('FORBIDDEN')
    // The rule only constrains event:subscribe: other scopes are unaffected.
    expect((await bob('/tasks/done', ['task:manage'])).status).toBe(200)
    expect((await bob('/tasks/done/events/history', ['event:history'])).status).toBe(200)
    const alice = await app.request('/tasks/done/events', withAuth({}, ['event:subscribe'], '*', 'alice'))
    expect(alice.status).toBe(200)
    expect(alice.headers.get('content-type')).toBe('text/event-stream')
    await alice.body?.cancel()
  })

  it('applies the rules of the task as it is now to a publish, also once its id was deleted and created again', async () => {
    const { engine } = harness
    const onlyFor = (sub: string) => ({ rules: [{ match: { scope: ['event:publish' as const] }, require: { sub: [sub] } }] })
    const publish = (sub: string) => app.request('/tasks/reused/events', withAuth(json({ type: 'a', data: sub }, { method: 'POST' }), ['event:publish'], '*', sub))
    await engine.createTask({ id: 'reused', authConfig: onlyFor('alice') })
    await engine.transitionTask('reused', 'running')
    expect((await publish('alice')).status).toBe(201)
    expect((await publish('alice')).status).toBe(201)
    const refused = await publish('bob')
    expect([refused.status, await code(refused)]).toEqual([403, 'FORBIDDEN'])
    // The same id, now Bob's, made by another process on the same store: what this one
    // remembers of the first task must not decide.
    const other = makeEngine({ store: harness.store }).engine
    // createdAt names the incarnation: the new one must be of a later millisecond.
    const firstCreated = (await engine.getTask('reused'))!.createdAt
    while (Date.now() <= firstCreated) await new Promise((resolve) => setTimeout(resolve, 1))
    await other.deleteTask('reused')
    await other.createTask({ id: 'reused', authConfig: onlyFor('bob') })
    await other.transitionTask('reused', 'running')
    const alice = await publish('alice')
    expect([alice.status, await code(alice)]).toEqual([403, 'FORBIDDEN'])
    expect((await publish('bob')).status).toBe(201)
    const stored = await engine.getEvents('reused')
    expect(stored.map((e) => [e.index, e.type, e.data])).toEqual([
      [0, 'taskcast:status', { status: 'running', previousStatus: 'pending' }],
      [1, 'a', 'bob'],
    ])
    const missing = await app.request('/tasks/never/events', withAuth(json({ type: 'a' }, { method: 'POST' }), ['event:publish'], '*', 'alice'))
    expect([missing.status, await code(missing)]).toEqual([404, 'TASK_NOT_FOUND'])
  })

  it('needs no credentials for /health', async () => {
    expect((await app.request('/health')).status).toBe(200)
  })

  it('applies task rules with auth mode none too: no subject, so a rule that requires one refuses', async () => {
    const open = createTaskcastApp({ engine: harness.engine })
    try {
      const subscribe = await open.request('/tasks/done/events')
      expect([subscribe.status, await code(subscribe)]).toEqual([403, 'FORBIDDEN'])
      const history = await open.request('/tasks/done/events/history')
      expect(history.status).toBe(200)
    } finally {
      await open.close()
    }
  })
})
