// resolveTask and cancelTask against a real server over loopback: the answer a blocked task
// resumes with, a cancel with and without a reason, and the server's codes for what may not be.
import type { PermissionScope } from '@taskcast/core'
import { describe, expect, it } from 'vitest'
import { TaskcastServerClient } from '../src/index.js'
import { startTaskcastServer } from '../../client/test/support/taskcast-server.js'
import { serverForFile, type TestServer } from './support/server-for-file.js'
import { rejection } from './support/settled.js'

const QUESTION = { type: 'approval', data: { tool: 'deploy', env: 'prod' } }

let server: TestServer
let sdk: TaskcastServerClient
serverForFile((started, client) => ((server = started), (sdk = client)))

async function blockedTask(): Promise<string> {
  const { id } = await sdk.createTask({ type: 'agent' })
  await sdk.transitionTask(id, 'running')
  await sdk.transitionTask(id, 'blocked', { request: QUESTION, reason: 'needs approval' })
  return id
}

describe('resolveTask', () => {
  it('moves a blocked task to running with the answer, which its status event carries', async () => {
    const id = await blockedTask()
    expect((await sdk.getTask(id))?.blockedRequest).toEqual(QUESTION)
    const resolved = await sdk.resolveTask(id, { approved: true, by: 'alice' })
    expect(resolved).toMatchObject({ id, status: 'running', resolution: { approved: true, by: 'alice' } })
    expect(resolved).not.toHaveProperty('blockedRequest')
    const log = await sdk.getHistory(id)
    expect(log.map((event) => event.data)).toEqual([
      { status: 'running', previousStatus: 'pending' },
      { status: 'blocked', previousStatus: 'running', request: QUESTION, reason: 'needs approval' },
      { status: 'running', previousStatus: 'blocked', resolution: { approved: true, by: 'alice' } },
    ])
  })

  it('takes any JSON value as the answer, null and strings included', async () => {
    for (const answer of [null, 'yes', 42, ['a', 'b']]) {
      const id = await blockedTask()
      expect((await sdk.resolveTask(id, answer)).resolution).toEqual(answer)
    }
  })

  it("rebuilds the server's refusals: not blocked, answered already, no answer, no such task", async () => {
    const running = (await sdk.createTask()).id
    await sdk.transitionTask(running, 'running')
    const answered = await blockedTask()
    await sdk.resolveTask(answered, 'first')
    const cases: [() => Promise<unknown>, string, number][] = [
      [() => sdk.resolveTask(running, 'x'), 'INVALID_TRANSITION', 400],
      [() => sdk.resolveTask(answered, 'second'), 'INVALID_TRANSITION', 400],
      [async () => sdk.resolveTask(await blockedTask(), undefined), 'VALIDATION_ERROR', 400],
      [() => sdk.resolveTask('missing', 'x'), 'TASK_NOT_FOUND', 404],
    ]
    for (const [call, code, status] of cases) {
      const error = await rejection(call())
      expect([error.code, error.details?.httpStatus]).toEqual([code, status])
    }
    expect((await sdk.getTask(answered))?.resolution).toBe('first')
  })
})

describe('cancelTask', () => {
  it('cancels from every status that has not ended, with the reason in the status event', async () => {
    const pending = (await sdk.createTask()).id
    const running = (await sdk.createTask()).id
    await sdk.transitionTask(running, 'running')
    const paused = (await sdk.createTask()).id
    await sdk.transitionTask(paused, 'running')
    await sdk.transitionTask(paused, 'paused')
    const blocked = await blockedTask()
    for (const [id, from] of [
      [pending, 'pending'],
      [running, 'running'],
      [paused, 'paused'],
      [blocked, 'blocked'],
    ] as const) {
      const cancelled = await sdk.cancelTask(id, `stopped while ${from}`)
      expect(cancelled).toMatchObject({ id, status: 'cancelled' })
      expect((await sdk.getHistory(id)).at(-1)?.data).toEqual({
        status: 'cancelled',
        previousStatus: from,
        reason: `stopped while ${from}`,
      })
    }
  })

  it('sends no reason when none is given', async () => {
    const { id } = await sdk.createTask()
    await sdk.cancelTask(id)
    expect((await sdk.getHistory(id)).map((event) => event.data)).toEqual([{ status: 'cancelled', previousStatus: 'pending' }])
  })

  it("rebuilds the server's refusals: ended already, a reason too long, no such task", async () => {
    const { id } = await sdk.createTask()
    await sdk.cancelTask(id)
    const cases: [() => Promise<unknown>, string, number][] = [
      [() => sdk.cancelTask(id), 'INVALID_TRANSITION', 400],
      [async () => sdk.cancelTask((await sdk.createTask()).id, 'x'.repeat(1025)), 'VALIDATION_ERROR', 400],
      [() => sdk.cancelTask('missing'), 'TASK_NOT_FOUND', 404],
    ]
    for (const [call, code, status] of cases) {
      const error = await rejection(call())
      expect([error.code, error.details?.httpStatus]).toEqual([code, status])
    }
  })
})

describe('resolveTask and cancelTask scopes', () => {
  it('pass with task:resolve and task:cancel alone, and are refused without them', async () => {
    const secured = await startTaskcastServer({
      app: {
        auth: {
          mode: 'custom',
          authenticate: async (request) => {
            const token = request.headers.get('authorization')?.replace('Bearer ', '') ?? ''
            const scopes: Record<string, PermissionScope[]> = { admin: ['*'], resolver: ['task:resolve'], canceller: ['task:cancel'] }
            return scopes[token] ? { taskIds: '*', scope: scopes[token], claims: {} } : null
          },
        },
      },
    })
    try {
      const admin = new TaskcastServerClient({ baseUrl: secured.url, token: 'admin' })
      const resolver = new TaskcastServerClient({ baseUrl: secured.url, token: 'resolver' })
      const canceller = new TaskcastServerClient({ baseUrl: secured.url, token: 'canceller' })
      const { id } = await admin.createTask()
      await admin.transitionTask(id, 'running')
      await admin.transitionTask(id, 'blocked', { request: QUESTION })
      expect((await rejection(canceller.resolveTask(id, 'no'))).code).toBe('FORBIDDEN')
      expect((await resolver.resolveTask(id, 'ok')).status).toBe('running')
      expect((await rejection(resolver.cancelTask(id))).code).toBe('FORBIDDEN')
      expect((await canceller.cancelTask(id, 'enough')).status).toBe('cancelled')
      const anonymous = new TaskcastServerClient({ baseUrl: secured.url })
      expect((await rejection(anonymous.cancelTask(id))).code).toBe('UNAUTHORIZED')
    } finally {
      await secured.close()
    }
  })
})
