// client.resolve and client.cancel over real HTTP: what a page does to a task. The token goes in
// the Authorization header, refusals come back as TaskcastError with the server's code, and each
// request is sent once.
import type { PermissionScope } from '@taskcast/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TaskcastClient, TaskcastError } from '../src/index.js'
import { startCuttingProxy } from './support/cutting-proxy.js'
import { record } from './support/recorder.js'
import { runningTask, startTaskcastServer, type TestServer } from './support/taskcast-server.js'

const QUESTION = { type: 'approval', data: { tool: 'deploy' } }
const SCOPES: Record<string, PermissionScope[]> = {
  producer: ['*'],
  viewer: ['event:subscribe', 'task:resolve', 'task:cancel'],
  watcher: ['event:subscribe'],
}

let server: TestServer
const authorizations: (string | null)[] = []
beforeAll(async () => {
  server = await startTaskcastServer({
    app: {
      auth: {
        mode: 'custom',
        authenticate: async (request) => {
          const header = request.headers.get('authorization')
          authorizations.push(header)
          const scope = SCOPES[header?.replace('Bearer ', '') ?? '']
          return scope ? { taskIds: '*', scope, claims: {} } : null
        },
      },
    },
  })
})
afterAll(() => server.close())

async function blockedTask(): Promise<string> {
  const taskId = await runningTask(server.engine)
  await server.engine.transitionTask(taskId, 'blocked', { request: QUESTION })
  return taskId
}

async function rejection(promise: Promise<unknown>): Promise<TaskcastError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!TaskcastError.isInstance(error)) throw new Error(`expected a TaskcastError, got ${String(error)}`)
  return error
}

const viewer = (): TaskcastClient => new TaskcastClient({ baseUrl: server.url, token: 'viewer' })

describe('client.resolve', () => {
  it('answers a blocked task, and its subscribers see the question and then the answer', async () => {
    const taskId = await blockedTask()
    const client = viewer()
    const watching = record(client, taskId)
    await watching.received(2)
    authorizations.length = 0
    const task = await client.resolve(taskId, { approved: true })
    expect(task).toMatchObject({ id: taskId, status: 'running', resolution: { approved: true } })
    expect(task).not.toHaveProperty('blockedRequest')
    expect(authorizations).toEqual(['Bearer viewer'])
    await watching.received(3)
    watching.subscription.unsubscribe()
    expect(watching.events.map((e) => e.data)).toEqual([
      { status: 'running', previousStatus: 'pending' },
      { status: 'blocked', previousStatus: 'running', request: QUESTION },
      { status: 'running', previousStatus: 'blocked', resolution: { approved: true } },
    ])
  })

  it("rebuilds the server's refusals: not blocked, no scope, no token, no such task", async () => {
    const running = await runningTask(server.engine)
    const blocked = await blockedTask()
    const cases: [() => Promise<unknown>, string, number][] = [
      [() => viewer().resolve(running, 'x'), 'INVALID_TRANSITION', 400],
      [() => new TaskcastClient({ baseUrl: server.url, token: 'watcher' }).resolve(blocked, 'x'), 'FORBIDDEN', 403],
      [() => new TaskcastClient({ baseUrl: server.url }).resolve(blocked, 'x'), 'UNAUTHORIZED', 401],
      [() => viewer().resolve('missing', 'x'), 'TASK_NOT_FOUND', 404],
    ]
    for (const [call, code, status] of cases) {
      const error = await rejection(call())
      expect([error.code, error.details?.httpStatus]).toEqual([code, status])
    }
    expect((await server.engine.getTask(blocked))?.status).toBe('blocked')
  })
})

describe('client.cancel', () => {
  it('cancels with a reason, which the status event carries, or without one', async () => {
    const withReason = await runningTask(server.engine)
    const task = await viewer().cancel(withReason, 'the user pressed Stop')
    expect(task).toMatchObject({ id: withReason, status: 'cancelled' })
    const blocked = await blockedTask()
    expect((await viewer().cancel(blocked)).status).toBe('cancelled')
    const first = await server.engine.getEvents(withReason)
    const second = await server.engine.getEvents(blocked)
    expect(first.at(-1)?.data).toEqual({ status: 'cancelled', previousStatus: 'running', reason: 'the user pressed Stop' })
    expect(second.at(-1)?.data).toEqual({ status: 'cancelled', previousStatus: 'blocked' })
  })

  it("rebuilds the server's refusals: ended already, no scope", async () => {
    const taskId = await runningTask(server.engine)
    await viewer().cancel(taskId)
    const again = await rejection(viewer().cancel(taskId))
    expect([again.code, again.details?.httpStatus]).toEqual(['INVALID_TRANSITION', 400])
    const other = await runningTask(server.engine)
    const refused = await rejection(new TaskcastClient({ baseUrl: server.url, token: 'watcher' }).cancel(other))
    expect([refused.code, refused.details?.httpStatus]).toEqual(['FORBIDDEN', 403])
  })

  it('is sent once: a dropped connection is STORE_UNAVAILABLE with details.network, never retried', async () => {
    const proxy = await startCuttingProxy(server.port)
    try {
      const taskId = await runningTask(server.engine)
      const client = new TaskcastClient({ baseUrl: proxy.url, token: 'viewer' })
      proxy.dropNextConnections(1)
      const before = proxy.accepted
      const error = await rejection(client.cancel(taskId))
      expect([error.code, error.details, error.retryable]).toEqual(['STORE_UNAVAILABLE', { network: true }, true])
      expect(proxy.accepted - before).toBe(1)
      expect((await server.engine.getTask(taskId))?.status).toBe('running')
    } finally {
      await proxy.close()
    }
  })

  it('hands back the reason of an aborted signal', async () => {
    const taskId = await runningTask(server.engine)
    const controller = new AbortController()
    const reason = new Error('page closed')
    controller.abort(reason)
    await expect(viewer().cancel(taskId, undefined, { signal: controller.signal })).rejects.toBe(reason)
    await expect(viewer().resolve(taskId, 'x', { signal: controller.signal })).rejects.toBe(reason)
  })
})

describe('the README example', () => {
  it('shows the question from the status event, answers it, then stops the task', async () => {
    const taskId = await blockedTask()
    const token = 'viewer'
    let showQuestion!: (request: unknown) => void
    const shown = new Promise<unknown>((resolve) => (showQuestion = resolve))

    // As written in the README:
    const client = new TaskcastClient({ baseUrl: server.url, token })

    const subscription = client.subscribe(taskId, {
      onStatus: (status, envelope) => {
        if (status === 'blocked') showQuestion(envelope.data.request) // e.g. { type: 'approval', data: { tool: 'deploy' } }
      },
    })
    expect(await shown).toEqual(QUESTION)

    await client.resolve(taskId, { approved: true }) // the task runs again, with this as its `resolution`
    await client.cancel(taskId, 'stopped by the user') // or stop it: the reason goes into its status event

    expect(await subscription.finished).toBe('cancelled')
    expect((await server.engine.getEvents(taskId)).map((event) => event.data)).toEqual([
      { status: 'running', previousStatus: 'pending' },
      { status: 'blocked', previousStatus: 'running', request: QUESTION },
      { status: 'running', previousStatus: 'blocked', resolution: { approved: true } },
      { status: 'cancelled', previousStatus: 'running', reason: 'stopped by the user' },
    ])
  })
})
