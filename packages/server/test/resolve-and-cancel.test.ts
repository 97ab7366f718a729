// Blocked tasks, resolutions and cancellation over a real loopback socket (SPEC §16, §17): the
// routes' status and error codes, their scopes under JWT auth, bad bodies that change nothing,
// and SSE subscribers that stay through a block.
import type { PermissionScope, SSEEnvelope, Task, TaskAuthConfig, TaskEvent } from '@taskcast/core'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastApp } from '../src/index.js'
import { json, makeEngine, startServer, type TestEngine, type TestServer } from './harness.js'
import { SseReader } from './sse-reader.js'

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long'
const QUESTION = { type: 'approval', data: { tool: 'deploy', env: 'prod' } }

let harness: TestEngine
let app: TaskcastApp
let server: TestServer
let admin: string

async function token(scope: PermissionScope[], extra: { sub?: string; taskIds?: string[] } = {}): Promise<string> {
  const claims = { scope, taskIds: extra.taskIds ?? '*', ...(extra.sub && { sub: extra.sub }) }
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(SECRET))
}

interface Answer {
  status: number
  body: Record<string, unknown> | null
  code: string | undefined
}

/** One request with a bearer token; `body` undefined sends none, a string is sent as it is. */
async function call(method: string, path: string, bearer: string, body?: unknown): Promise<Answer> {
  const headers = { Authorization: `Bearer ${bearer}` }
  const init: RequestInit = body === undefined ? { method, headers } : json(body, { method, headers })
  const response = await fetch(server.url + path, init)
  const parsed = response.status === 204 ? null : ((await response.json()) as Record<string, unknown>)
  return { status: response.status, body: parsed, code: (parsed?.error as { code?: string } | undefined)?.code }
}

const resolve = (id: string, bearer: string, body: unknown) => call('POST', `/tasks/${id}/resolve`, bearer, body)
const cancel = (id: string, bearer: string, body?: unknown) => call('POST', `/tasks/${id}/cancel`, bearer, body)
const patch = (id: string, bearer: string, body: unknown) => call('PATCH', `/tasks/${id}/status`, bearer, body)

async function history(id: string): Promise<TaskEvent[]> {
  return (await call('GET', `/tasks/${id}/events/history`, admin)).body as unknown as TaskEvent[]
}

/** A new task brought to `status` through the API. */
async function taskIn(status: 'pending' | 'running' | 'paused' | 'blocked' | 'completed', authConfig?: TaskAuthConfig): Promise<Task> {
  const created = (await call('POST', '/tasks', admin, authConfig ? { authConfig } : {})).body as unknown as Task
  if (status !== 'pending') await patch(created.id, admin, { status: 'running' })
  if (status === 'blocked') await patch(created.id, admin, { status: 'blocked', request: QUESTION, reason: 'needs approval' })
  else if (status === 'paused' || status === 'completed') await patch(created.id, admin, { status })
  return (await call('GET', `/tasks/${created.id}`, admin)).body as unknown as Task
}

/** What a request must leave alone: the task and its log. */
async function snapshot(id: string): Promise<unknown> {
  return { task: (await call('GET', `/tasks/${id}`, admin)).body, log: await history(id) }
}

beforeAll(async () => {
  harness = makeEngine()
  app = createTaskcastApp({ engine: harness.engine, auth: { mode: 'jwt', jwt: { algorithm: 'HS256', secret: SECRET } } })
  server = await startServer(app.fetch)
  admin = await token(['*'])
})
afterAll(async () => {
  await app.close()
  await server.close()
  await harness.engine.stop()
})

describe('POST /tasks/:id/resolve', () => {
  it('answers a blocked task: 200 with the running task, the answer stored and in the status event', async () => {
    const task = await taskIn('blocked')
    expect(task.blockedRequest).toEqual(QUESTION)
    const answer = await resolve(task.id, admin, { data: { approved: true } })
    expect(answer.status).toBe(200)
    const { blockedRequest: _question, subscribers: _count, ...rest } = task as typeof task & { subscribers?: number }
    expect(answer.body).toEqual({ ...rest, status: 'running', updatedAt: expect.any(Number), resolution: { approved: true } })
    expect((await call('GET', `/tasks/${task.id}`, admin)).body).toEqual({ ...answer.body, subscribers: 0 })
    expect((await history(task.id)).map((event) => event.data)).toEqual([
      { status: 'running', previousStatus: 'pending' },
      { status: 'blocked', previousStatus: 'running', request: QUESTION, reason: 'needs approval' },
      { status: 'running', previousStatus: 'blocked', resolution: { approved: true } },
    ])
  })

  it('takes any JSON value as the answer, null included', async () => {
    const task = await taskIn('blocked')
    const answer = await resolve(task.id, admin, { data: null })
    expect([answer.status, answer.body?.resolution]).toEqual([200, null])
  })

  it('is 400 INVALID_TRANSITION for a task that is not blocked, and 404 for an unknown one', async () => {
    for (const status of ['pending', 'running', 'paused', 'completed'] as const) {
      const task = await taskIn(status)
      const before = await snapshot(task.id)
      const answer = await resolve(task.id, admin, { data: 'yes' })
      expect([status, answer.status, answer.code]).toEqual([status, 400, 'INVALID_TRANSITION'])
      expect(await snapshot(task.id)).toEqual(before)
    }
    const missing = await resolve('no-such-task', admin, { data: 'yes' })
    expect([missing.status, missing.code]).toEqual([404, 'TASK_NOT_FOUND'])
  })
})

describe('POST /tasks/:id/cancel', () => {
  for (const status of ['pending', 'running', 'paused', 'blocked'] as const) {
    it(`cancels a ${status} task: 200, the reason in the status event`, async () => {
      const task = await taskIn(status)
      const answer = await cancel(task.id, admin, { reason: 'user pressed stop' })
      expect(answer.status).toBe(200)
      expect(answer.body).toMatchObject({ id: task.id, status: 'cancelled', completedAt: expect.any(Number) })
      expect(answer.body).not.toHaveProperty('blockedRequest')
      expect((await history(task.id)).at(-1)!.data).toEqual({ status: 'cancelled', previousStatus: status, reason: 'user pressed stop' })
      const publish = await call('POST', `/tasks/${task.id}/events`, admin, { type: 'llm.delta' })
      expect([publish.status, publish.code]).toEqual([400, 'TASK_NOT_RUNNING'])
    })
  }

  it('cancels with no body or an empty object, without a reason', async () => {
    for (const body of [undefined, {}]) {
      const task = await taskIn('running')
      const answer = await cancel(task.id, admin, body)
      expect(answer.status).toBe(200)
      expect((await history(task.id)).at(-1)!.data).toEqual({ status: 'cancelled', previousStatus: 'running' })
    }
  })

  it('is 400 INVALID_TRANSITION for a task that ended', async () => {
    const task = await taskIn('completed')
    const before = await snapshot(task.id)
    const answer = await cancel(task.id, admin, { reason: 'too late' })
    expect([answer.status, answer.code]).toEqual([400, 'INVALID_TRANSITION'])
    expect(await snapshot(task.id)).toEqual(before)
  })
})

describe('scopes of resolve and cancel', () => {
  it('lets task:resolve resolve only, task:cancel cancel only, and task:manage do both', async () => {
    const resolver = await token(['task:resolve'])
    const canceller = await token(['task:cancel'])
    const manager = await token(['task:manage'])
    const blocked = await taskIn('blocked')
    const before = await snapshot(blocked.id)
    const refused = [
      await patch(blocked.id, resolver, { status: 'running' }),
      await cancel(blocked.id, resolver),
      await resolve(blocked.id, canceller, { data: 'yes' }),
      await patch(blocked.id, canceller, { status: 'cancelled' }),
    ]
    expect(refused.map((answer) => [answer.status, answer.code])).toEqual(refused.map(() => [403, 'FORBIDDEN']))
    expect(await snapshot(blocked.id)).toEqual(before)

    expect((await resolve(blocked.id, resolver, { data: 'yes' })).status).toBe(200)
    expect((await cancel((await taskIn('running')).id, canceller)).status).toBe(200)
    const managed = await taskIn('blocked')
    expect((await resolve(managed.id, manager, { data: 'yes' })).status).toBe(200)
    expect((await cancel(managed.id, manager)).status).toBe(200)
  })

  it('needs the task id in the grant', async () => {
    const task = await taskIn('blocked')
    const other = await token(['task:resolve', 'task:cancel'], { taskIds: ['some-other-task'] })
    expect((await resolve(task.id, other, { data: 'yes' })).code).toBe('FORBIDDEN')
    expect((await cancel(task.id, other)).code).toBe('FORBIDDEN')
    const granted = await token(['task:resolve'], { taskIds: [task.id] })
    expect((await resolve(task.id, granted, { data: 'yes' })).status).toBe(200)
  })

  it("applies the task's own rules to task:resolve and task:cancel like any scope", async () => {
    const rules: TaskAuthConfig = {
      rules: [
        { match: { scope: ['task:resolve'] }, require: { sub: ['alice'] } },
        { match: { scope: ['task:cancel'] }, require: { sub: ['alice'] } },
      ],
    }
    const bob = await token(['task:resolve', 'task:cancel'], { sub: 'bob' })
    const alice = await token(['task:resolve', 'task:cancel'], { sub: 'alice' })
    const task = await taskIn('blocked', rules)
    const before = await snapshot(task.id)
    expect([(await resolve(task.id, bob, { data: 'yes' })).code, (await cancel(task.id, bob)).code]).toEqual(['FORBIDDEN', 'FORBIDDEN'])
    expect(await snapshot(task.id)).toEqual(before)
    expect((await resolve(task.id, alice, { data: 'yes' })).status).toBe(200)
    expect((await cancel(task.id, alice)).status).toBe(200)
    // The rules constrain those two scopes only: task:manage is not bound by them.
    const managed = await taskIn('blocked', rules)
    expect((await resolve(managed.id, await token(['task:manage'], { sub: 'bob' }), { data: 'yes' })).status).toBe(200)
  })
})

describe('bodies that are refused change nothing', () => {
  const tooLongReason = 'é'.repeat(513) // 1026 bytes of UTF-8
  const tooLargeRequest = { type: 'big', data: 'x'.repeat(64 * 1024) }
  const cases: { name: string; from: 'running' | 'blocked'; send: (id: string) => Promise<Answer> }[] = [
    { name: 'resolve without data', from: 'blocked', send: (id) => resolve(id, admin, {}) },
    { name: 'resolve with an unknown field', from: 'blocked', send: (id) => resolve(id, admin, { data: 1, note: 'x' }) },
    { name: 'resolve with an array body', from: 'blocked', send: (id) => resolve(id, admin, [1]) },
    { name: 'resolve with no body', from: 'blocked', send: (id) => resolve(id, admin, undefined) },
    { name: 'resolve with malformed JSON', from: 'blocked', send: (id) => resolve(id, admin, '{"data":') },
    { name: 'cancel with an unknown field', from: 'running', send: (id) => cancel(id, admin, { why: 'x' }) },
    { name: 'cancel with a reason over 1 KiB', from: 'running', send: (id) => cancel(id, admin, { reason: tooLongReason }) },
    { name: 'cancel with a reason that is not a string', from: 'running', send: (id) => cancel(id, admin, { reason: 5 }) },
    { name: 'PATCH with a reason over 1 KiB', from: 'running', send: (id) => patch(id, admin, { status: 'paused', reason: tooLongReason }) },
    { name: 'PATCH with a request over 64 KiB', from: 'running', send: (id) => patch(id, admin, { status: 'blocked', request: tooLargeRequest }) },
    { name: 'PATCH with a request to paused', from: 'running', send: (id) => patch(id, admin, { status: 'paused', request: QUESTION }) },
    { name: 'PATCH with a request to running', from: 'blocked', send: (id) => patch(id, admin, { status: 'running', request: QUESTION }) },
    { name: 'PATCH with a request without a type', from: 'running', send: (id) => patch(id, admin, { status: 'blocked', request: { data: 1 } }) },
    { name: 'PATCH with an unknown field', from: 'running', send: (id) => patch(id, admin, { status: 'paused', why: 'x' }) },
    { name: 'PATCH with a resolution', from: 'blocked', send: (id) => patch(id, admin, { status: 'running', resolution: 'yes' }) },
  ]

  it.each(cases)('$name → 400 VALIDATION_ERROR', async ({ from, send }) => {
    const task = await taskIn(from)
    const before = await snapshot(task.id)
    const answer = await send(task.id)
    expect([answer.status, answer.code]).toEqual([400, 'VALIDATION_ERROR'])
    expect(await snapshot(task.id)).toEqual(before)
  })

  it('PATCH takes a reason and a request: the task carries the question, the event both', async () => {
    const task = await taskIn('running')
    const answer = await patch(task.id, admin, { status: 'blocked', request: QUESTION, reason: 'needs approval' })
    expect([answer.status, answer.body?.status, answer.body?.blockedRequest]).toEqual([200, 'blocked', QUESTION])
    expect(answer.body).not.toHaveProperty('reason')
    expect((await history(task.id)).at(-1)!.data).toEqual({ status: 'blocked', previousStatus: 'running', request: QUESTION, reason: 'needs approval' })
  })
})

describe('SSE through a block', () => {
  const statusOf = (envelope: SSEEnvelope) => (envelope.data as { status?: string }).status

  it('keeps a subscriber connected through blocked and paused until the task ends; later joiners replay the same', async () => {
    const task = await taskIn('running')
    const readers: SseReader[] = []
    const open = async () => {
      const reader = await SseReader.open(`${server.url}/tasks/${task.id}/events`, { headers: { Authorization: `Bearer ${admin}` } })
      readers.push(reader)
      return reader
    }
    const early = await open()
    const next = async () => JSON.parse((await early.nextEvent())!.data!) as SSEEnvelope
    try {
      expect(statusOf(await next())).toBe('running')
      await patch(task.id, admin, { status: 'blocked', request: QUESTION })
      const blocked = await next()
      expect([blocked.rawIndex, blocked.data]).toEqual([1, { status: 'blocked', previousStatus: 'running', request: QUESTION }])

      // Joining while blocked: the replay ends with the question, and the stream stays.
      const during = await open()
      const duringFirst = [(await during.nextEvent())!, (await during.nextEvent())!].map((frame) => JSON.parse(frame.data!) as SSEEnvelope)
      expect(duringFirst.map((envelope) => envelope.data)).toEqual([
        { status: 'running', previousStatus: 'pending' },
        { status: 'blocked', previousStatus: 'running', request: QUESTION },
      ])

      expect((await resolve(task.id, admin, { data: { approved: true } })).status).toBe(200)
      await call('POST', `/tasks/${task.id}/events`, admin, { type: 'llm.delta', data: { text: 'Deploying' } })
      await patch(task.id, admin, { status: 'paused', reason: 'rate limited' })
      await patch(task.id, admin, { status: 'running' })
      await patch(task.id, admin, { status: 'completed', result: { deployed: true } })

      const expected = [
        { status: 'running', previousStatus: 'blocked', resolution: { approved: true } },
        { text: 'Deploying' },
        { status: 'paused', previousStatus: 'running', reason: 'rate limited' },
        { status: 'running', previousStatus: 'paused' },
        { status: 'completed', previousStatus: 'running', result: { deployed: true } },
      ]
      const rest = await early.readUntilDone()
      expect(rest.envelopes.map((envelope) => [envelope.rawIndex, envelope.data])).toEqual(expected.map((data, i) => [i + 2, data]))
      expect(JSON.parse(rest.done.data!)).toEqual({ reason: 'completed' })
      const duringRest = await during.readUntilDone()
      expect(duringRest.envelopes.map((envelope) => envelope.data)).toEqual(expected)

      const late = await open()
      const replay = await late.readUntilDone()
      expect(replay.envelopes.map((envelope) => [envelope.filteredIndex, envelope.data])).toEqual(
        [
          { status: 'running', previousStatus: 'pending' },
          { status: 'blocked', previousStatus: 'running', request: QUESTION },
          ...expected,
        ].map((data, i) => [i, data]),
      )
      expect(JSON.parse(replay.done.data!)).toEqual({ reason: 'completed' })
    } finally {
      await Promise.all(readers.map((reader) => reader.cancel()))
    }
  })
})
