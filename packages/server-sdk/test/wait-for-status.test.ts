// waitForStatus against a real server over loopback: a blocked task waited on until its answer,
// a status already reached, an end it was not waiting for, an abort, fatal errors, and a wait
// that rides out dropped connections.
import { TaskcastError } from '@taskcast/core'
import { describe, expect, it } from 'vitest'
import { TaskcastServerClient } from '../src/index.js'
import { startCuttingProxy } from '../../client/test/support/cutting-proxy.js'
import { startTaskcastServer } from '../../client/test/support/taskcast-server.js'
import { serverForFile, type TestServer } from './support/server-for-file.js'
import { rejection } from './support/settled.js'

const QUESTION = { type: 'approval', data: { tool: 'deploy' } }

let server: TestServer
let sdk: TaskcastServerClient
serverForFile((started, client) => ((server = started), (sdk = client)))

/** A client that records the path and query of each request it sends, and counts the answers. */
function recordingClient(
  requests: string[],
  baseUrl = server.url,
): { client: TaskcastServerClient; answered(count: number): Promise<void> } {
  let answers = 0
  const waiters = new Set<() => void>()
  const client = new TaskcastServerClient({
    baseUrl,
    fetch: async (input, init) => {
      const url = new URL(String(input))
      requests.push(decodeURIComponent(`${url.pathname}${url.search}`))
      const response = await fetch(input, init)
      answers++
      for (const waiter of [...waiters]) waiter()
      return response
    },
  })
  const answered = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (answers < count) return
        waiters.delete(check)
        resolve()
      }
      waiters.add(check)
      check()
    })
  return { client, answered }
}

async function blockedTask(): Promise<string> {
  const { id } = await sdk.createTask({ type: 'agent' })
  await sdk.transitionTask(id, 'running')
  await sdk.transitionTask(id, 'blocked', { request: QUESTION })
  return id
}

/** Resolves once the server holds exactly `count` streams of the task. */
const streamsOpen = (taskId: string, count: number): Promise<void> => server.sseSettles(() => server.openStreams(taskId) === count)

describe('waitForStatus', () => {
  it('resolves with the running task, answer included, once a blocked task is resolved', async () => {
    const id = await blockedTask()
    const requests: string[] = []
    const { client, answered } = recordingClient(requests)
    const waiting = client.waitForStatus(id, ['running'])
    // The look, the stream, and the look that the replayed (old) `running` asks for.
    await answered(3)
    await sdk.resolveTask(id, { approved: true })
    const task = await waiting
    expect(task).toMatchObject({ id, status: 'running', resolution: { approved: true } })
    // One look, the status-only stream from the start; the old `running` it replays and the new
    // one each got a look at the task, and only the second one found it running.
    expect(requests).toEqual([
      `/tasks/${id}`,
      `/tasks/${id}/events?types=taskcast:status&includeStatus=true`,
      `/tasks/${id}`,
      `/tasks/${id}`,
    ])
    await streamsOpen(id, 0)
  })

  it('resolves at once, with no stream, when the task is already in one of the statuses', async () => {
    const pending = await sdk.createTask()
    const blocked = await blockedTask()
    const requests: string[] = []
    const { client } = recordingClient(requests)
    expect(await client.waitForStatus(pending.id, ['pending', 'running'])).toEqual({ ...pending, subscribers: 0 })
    expect((await client.waitForStatus(blocked, ['paused', 'blocked'])).blockedRequest).toEqual(QUESTION)
    expect(requests).toEqual([`/tasks/${pending.id}`, `/tasks/${blocked}`])
  })

  it('resolves on a terminal status when it is one of those asked for', async () => {
    const id = await blockedTask()
    const waiting = sdk.waitForStatus(id, ['completed', 'failed'])
    await streamsOpen(id, 1)
    await sdk.resolveTask(id, 'go')
    await sdk.transitionTask(id, 'failed', { error: { message: 'tool crashed' } })
    expect(await waiting).toMatchObject({ status: 'failed', error: { message: 'tool crashed' } })
  })

  it('rejects with TASK_NOT_RUNNING, status and reason when the task ends otherwise', async () => {
    const id = await blockedTask()
    const waiting = rejection(sdk.waitForStatus(id, ['running']))
    await streamsOpen(id, 1)
    await sdk.cancelTask(id, 'the user pressed Stop')
    const error = await waiting
    expect([error.code, error.message, error.details]).toEqual([
      'TASK_NOT_RUNNING',
      `task ${id} is cancelled: the user pressed Stop`,
      { taskId: id, status: 'cancelled', reason: 'the user pressed Stop' },
    ])
    expect(error.retryable).toBe(false)
    await streamsOpen(id, 0)
  })

  it('rejects at once for a task that already ended otherwise', async () => {
    const id = await blockedTask()
    await server.engine.transitionTask(id, 'failed', { error: { message: 'boom' } })
    const error = await rejection(sdk.waitForStatus(id, ['running']))
    expect([error.code, error.details]).toEqual(['TASK_NOT_RUNNING', { taskId: id, status: 'failed', error: { message: 'boom' } }])
  })

  it("rejects with the signal's reason when aborted, and closes its stream", async () => {
    const id = await blockedTask()
    const controller = new AbortController()
    const waiting = sdk.waitForStatus(id, ['running'], { signal: controller.signal }).catch((e: unknown) => e)
    await streamsOpen(id, 1)
    const reason = new Error('gave up waiting')
    controller.abort(reason)
    expect(await waiting).toBe(reason)
    await streamsOpen(id, 0)
    // An answer after that resolves nothing and opens nothing.
    await sdk.resolveTask(id, 'late')
    expect(server.sse.filter((entry) => entry.taskId === id).map((entry) => entry.kind)).toEqual(['connect', 'disconnect'])

    const already = new AbortController()
    already.abort(reason)
    await expect(sdk.waitForStatus(id, ['running'], { signal: already.signal })).rejects.toBe(reason)
  })

  it('rejects with the fatal error: no such task, a task deleted while waited on, no scope, no statuses', async () => {
    expect((await rejection(sdk.waitForStatus('missing', ['running']))).code).toBe('TASK_NOT_FOUND')

    const deleted = await blockedTask()
    const waiting = rejection(sdk.waitForStatus(deleted, ['running']))
    await streamsOpen(deleted, 1)
    await sdk.deleteTask(deleted)
    expect((await waiting).code).toBe('TASK_NOT_FOUND')

    expect((await rejection(sdk.waitForStatus(deleted, []))).code).toBe('VALIDATION_ERROR')

    const secured = await startTaskcastServer({
      app: {
        auth: {
          mode: 'custom',
          authenticate: async (request) =>
            request.headers.get('authorization') === 'Bearer admin' ? { taskIds: '*', scope: ['*'], claims: {} } : null,
        },
      },
    })
    try {
      const admin = new TaskcastServerClient({ baseUrl: secured.url, token: 'admin' })
      const { id } = await admin.createTask()
      const anonymous = new TaskcastServerClient({ baseUrl: secured.url })
      expect((await rejection(anonymous.waitForStatus(id, ['running']))).code).toBe('UNAUTHORIZED')
    } finally {
      await secured.close()
    }
  })

  it('keeps waiting across dropped connections and resolves on the answer given meanwhile', async () => {
    const proxy = await startCuttingProxy(server.port)
    try {
      const id = await blockedTask()
      const requests: string[] = []
      const { client: viaProxy, answered } = recordingClient(requests, proxy.url)
      const waiting = viaProxy.waitForStatus(id, ['running'])
      // The look, the stream, the look the replayed `running` asks for: only the stream is left.
      await answered(3)
      // The link drops and the next attempt is refused; the answer is given while it is down.
      proxy.dropNextConnections(1)
      proxy.cutAll()
      await sdk.resolveTask(id, 'approved while the link was down')
      const task = await waiting
      expect(task).toMatchObject({ status: 'running', resolution: 'approved while the link was down' })
      expect(server.sse.filter((entry) => entry.taskId === id && entry.kind === 'connect').length).toBe(2)
      // The new stream resumed after the blocked event; the dropped attempt is its second request.
      const blockedEvent = (await sdk.getHistory(id))[1]!
      expect(requests.filter((path) => path.includes('/events'))).toEqual([
        `/tasks/${id}/events?types=taskcast:status&includeStatus=true`,
        `/tasks/${id}/events?types=taskcast:status&includeStatus=true&since.id=${blockedEvent.id}`,
        `/tasks/${id}/events?types=taskcast:status&includeStatus=true&since.id=${blockedEvent.id}`,
      ])
    } finally {
      await proxy.close()
    }
  })
})

describe('waitForStatus errors', () => {
  it('are TaskcastErrors that TaskcastError.isInstance recognises', async () => {
    const id = await blockedTask()
    await sdk.cancelTask(id)
    const error = await sdk.waitForStatus(id, ['running']).catch((e: unknown) => e)
    expect(TaskcastError.isInstance(error)).toBe(true)
  })
})
