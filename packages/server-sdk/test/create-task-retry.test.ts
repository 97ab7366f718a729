// createTask with the caller's id against a real server over loopback: it is retried like a GET,
// and a DUPLICATE_TASK met by a repeat returns the task when it is the one that was asked for —
// else, and on a first attempt, and without an id (never retried), the refusal stands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TaskcastServerClient } from '../src/index.js'
import { startTaskcastServer, type TestServer } from '../../client/test/support/taskcast-server.js'
import { FaultyNetwork, type Fault } from './support/faulty-network.js'
import { rejection } from './support/settled.js'

let server: TestServer
let sdk: TaskcastServerClient
beforeAll(async () => {
  // The hook is never called (no task here gets an event); loopback keeps its host resolvable.
  server = await startTaskcastServer({ app: { webhooks: { allowPrivateNetworks: true } } })
  sdk = new TaskcastServerClient({ baseUrl: server.url })
})
afterAll(() => server.close())

/** A client whose first `POST /tasks` meets `fault`. */
function firstCreateMeets(fault: Fault): { client: TaskcastServerClient; network: FaultyNetwork } {
  const network = new FaultyNetwork((call) => (call.method === 'POST' && call.path === '/tasks' && call.attempt === 1 ? { fault } : undefined))
  return { client: new TaskcastServerClient({ baseUrl: server.url, fetch: network.fetch, retry: { initialDelayMs: 5, maxDelayMs: 10 } }), network }
}

const creates = (network: FaultyNetwork) =>
  network.exchanges.filter((e) => e.method === 'POST' && e.path === '/tasks').map(({ fault, status, code }) => [fault ?? null, status ?? null, code ?? null])

const INPUT = {
  type: 'report',
  params: { month: '2026-11', pages: [1, 2] },
  metadata: { owner: 'ops' },
  ttl: 600,
  webhooks: [{ url: 'http://127.0.0.1:9/report', secret: 's3cret' }],
}

describe('createTask with a client-chosen id', () => {
  it('returns the task the lost first attempt created when the repeat meets DUPLICATE_TASK', async () => {
    const { client, network } = firstCreateMeets('lose-answer')
    const task = await client.createTask({ id: 'report-1', ...INPUT })
    expect(creates(network)).toEqual([
      ['lose-answer', 201, null],
      [null, 409, 'DUPLICATE_TASK'],
    ])
    expect(task).toEqual(await sdk.getTask('report-1'))
    expect(task).toMatchObject({ id: 'report-1', status: 'pending', type: 'report', params: INPUT.params, ttl: 600 })
  })

  it('creates the task on the repeat when the first attempt never reached the server', async () => {
    const { client, network } = firstCreateMeets('refuse')
    const task = await client.createTask({ id: 'report-2', ...INPUT })
    expect(creates(network)).toEqual([
      ['refuse', null, null],
      [null, 201, null],
    ])
    expect(task.id).toBe('report-2')
  })

  it('keeps DUPLICATE_TASK when the task found under the id is not the one asked for', async () => {
    await sdk.createTask({ id: 'report-3', ...INPUT, params: { month: '2026-10' } })
    for (const differs of [{ params: { month: '2026-11' } }, { ttl: 60 }, { webhooks: [{ url: 'http://127.0.0.1:9/report' }] }]) {
      const { client, network } = firstCreateMeets('refuse')
      const error = await rejection(client.createTask({ id: 'report-3', ...INPUT, params: { month: '2026-10' }, ...differs }))
      expect(error.code).toBe('DUPLICATE_TASK')
      expect(creates(network)).toEqual([
        ['refuse', null, null],
        [null, 409, 'DUPLICATE_TASK'],
      ])
    }
  })

  it('keeps DUPLICATE_TASK on a first attempt, even for the very same request', async () => {
    await sdk.createTask({ id: 'report-4', ...INPUT })
    expect((await rejection(sdk.createTask({ id: 'report-4', ...INPUT }))).code).toBe('DUPLICATE_TASK')
  })

  it('does not retry a create without an id: a lost answer is reported, not replayed', async () => {
    const { client, network } = firstCreateMeets('lose-answer')
    const error = await rejection(client.createTask(INPUT))
    expect([error.code, error.details]).toEqual(['STORE_UNAVAILABLE', { network: true }])
    expect(creates(network)).toEqual([['lose-answer', 201, null]])
  })
})
