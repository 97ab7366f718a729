// serverClient.producer() against a real server over loopback, with faults played on chosen
// requests: a later request that overtakes an earlier one (SEQUENCE_GAP, then both sent again in
// order), a request that never reached the server, an answer lost after the server stored the
// events (one copy, the 200 taken as success), an answer that never comes (timeout), a gateway's
// 503, and a deadline that runs out.
import type { TaskEvent } from '@taskcast/core'
import { describe, expect, it } from 'vitest'
import { TaskcastServerClient } from '../src/index.js'
import { serverForFile, type TestServer } from './support/server-for-file.js'
import { FaultyNetwork, type Call, type Plan } from './support/faulty-network.js'
import { rejection } from './support/settled.js'

let server: TestServer
let sdk: TaskcastServerClient
serverForFile((started, client) => ((server = started), (sdk = client)))

async function runningTask(): Promise<string> {
  const { id } = await sdk.createTask({ type: 'producer-faults' })
  await sdk.transitionTask(id, 'running')
  return id
}

function through(plan: (call: Call) => Plan | undefined): { client: TaskcastServerClient; network: FaultyNetwork } {
  const network = new FaultyNetwork(plan)
  return { client: new TaskcastServerClient({ baseUrl: server.url, fetch: network.fetch }), network }
}

const FAST_RETRY = { initialDelayMs: 5, maxDelayMs: 20 }
const step = (n: number) => ({ type: 'step', data: { n } })

async function stepsIn(taskId: string): Promise<unknown[]> {
  return (await sdk.getHistory(taskId, { filter: { types: ['step'], includeStatus: false } })).map((event) => (event.data as { n: number }).n)
}

/** What became of each attempt: the server's status, or the fault. */
const outcomes = (network: FaultyNetwork, seq: number) => network.ofSeq(seq).map(({ status, code, fault }) => [fault ?? null, status ?? null, code ?? null])

describe('producer: order under pipelining', () => {
  it('sends again, in order, the requests that overtook one held back, and stores every event once', async () => {
    const taskId = await runningTask()
    // The first request waits until the three after it were refused as gaps.
    const network: FaultyNetwork = new FaultyNetwork((call) =>
      call.stamp?.seq === 0 && call.attempt === 1 ? { hold: network.until((all) => all.filter((e) => e.code === 'SEQUENCE_GAP').length === 3) } : undefined,
    )
    const producer = new TaskcastServerClient({ baseUrl: server.url, fetch: network.fetch }).producer(taskId, { maxBatch: 10, maxInFlight: 4 })
    const stored = await Promise.all(Array.from({ length: 40 }, (_, n) => producer.publish(step(n))))
    expect(await stepsIn(taskId)).toEqual(Array.from({ length: 40 }, (_, n) => n))
    expect(stored.map((event) => event.index)).toEqual(Array.from({ length: 40 }, (_, n) => n + 1))
    for (const seq of [10, 20, 30]) {
      expect(network.ofSeq(seq)[0]).toMatchObject({ status: 409, code: 'SEQUENCE_GAP', expectedSeq: 0 })
      expect(network.ofSeq(seq).filter((exchange) => exchange.status === 201)).toHaveLength(1)
    }
    expect(outcomes(network, 0)).toEqual([[null, 201, null]])
  })

  it('sends a request that never reached the server again, then the one that overtook it', async () => {
    const taskId = await runningTask()
    const network: FaultyNetwork = new FaultyNetwork((call) =>
      call.stamp?.seq === 0 && call.attempt === 1 ? { hold: network.until((all) => all.some((e) => e.stamp?.seq === 10)), fault: 'refuse' } : undefined,
    )
    const producer = new TaskcastServerClient({ baseUrl: server.url, fetch: network.fetch }).producer(taskId, {
      maxBatch: 10,
      maxInFlight: 2,
      retry: FAST_RETRY,
    })
    await Promise.all(Array.from({ length: 20 }, (_, n) => producer.publish(step(n))))
    expect(outcomes(network, 0)).toEqual([
      ['refuse', null, null],
      [null, 201, null],
    ])
    expect(outcomes(network, 10)).toEqual([
      [null, 409, 'SEQUENCE_GAP'],
      [null, 201, null],
    ])
    expect(await stepsIn(taskId)).toEqual(Array.from({ length: 20 }, (_, n) => n))
  })
})

describe('producer: lost answers', () => {
  it('keeps one copy when the answer of a stored request is lost: the resend is answered 200 with the same events', async () => {
    const taskId = await runningTask()
    const { client, network } = through((call) => (call.stamp?.seq === 0 && call.attempt === 1 ? { fault: 'lose-answer' } : undefined))
    const producer = client.producer(taskId, { maxBatch: 5, retry: FAST_RETRY })
    const stored = await Promise.all(Array.from({ length: 10 }, (_, n) => producer.publish(step(n))))
    expect(outcomes(network, 0)).toEqual([
      ['lose-answer', 201, null],
      [null, 200, null],
    ])
    const log = (await sdk.getHistory(taskId)).filter((event: TaskEvent) => event.type === 'step')
    expect(log.map((event) => (event.data as { n: number }).n)).toEqual(Array.from({ length: 10 }, (_, n) => n))
    expect(stored.map((event) => event.id)).toEqual(log.map((event) => event.id))
  })

  it('counts a request with no answer within requestTimeoutMs as lost, and sends it again', async () => {
    const taskId = await runningTask()
    const { client, network } = through((call) => (call.stamp?.seq === 0 && call.attempt === 1 ? { fault: 'hang' } : undefined))
    const producer = client.producer(taskId, { requestTimeoutMs: 200, retry: FAST_RETRY })
    const event = await producer.publish(step(0))
    expect(outcomes(network, 0)).toEqual([
      ['hang', 201, null],
      [null, 200, null],
    ])
    expect(event.index).toBe(1)
    expect(await stepsIn(taskId)).toEqual([0])
  })

  it("retries a gateway's 503 with backoff", async () => {
    const taskId = await runningTask()
    const { client, network } = through((call) => (call.stamp && call.attempt <= 2 ? { fault: 'unavailable' } : undefined))
    const producer = client.producer(taskId, { retry: FAST_RETRY })
    await producer.publish(step(0))
    expect(outcomes(network, 0)).toEqual([
      ['unavailable', 503, 'STORE_UNAVAILABLE'],
      ['unavailable', 503, 'STORE_UNAVAILABLE'],
      [null, 201, null],
    ])
  })

  it('gives up at the deadline: the publish, later ones and flush reject with the last network error', async () => {
    const taskId = await runningTask()
    const { client, network } = through((call) => (call.stamp ? { fault: 'refuse' } : undefined))
    const producer = client.producer(taskId, { deadlineMs: 300, retry: FAST_RETRY })
    const started = Date.now()
    const error = await rejection(producer.publish(step(0)))
    expect([error.code, error.details]).toEqual(['STORE_UNAVAILABLE', { network: true }])
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(network.ofSeq(0).length).toBeGreaterThan(3)
    expect(await rejection(producer.publish(step(1)))).toBe(error)
    expect(await rejection(producer.flush())).toBe(error)
    expect(await stepsIn(taskId)).toEqual([])
  })
})
