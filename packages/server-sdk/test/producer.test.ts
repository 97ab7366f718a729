// serverClient.producer() against a real server over loopback, with no faults: how it numbers
// and batches (seqs, batch sizes, linger, byte bound), what publish() resolves with, flush() and
// close(), and the options and inputs it refuses.
import type { TaskEvent } from '@taskcast/core'
import { describe, expect, it } from 'vitest'
import { TaskcastServerClient } from '../src/index.js'
import { serverForFile, type TestServer } from './support/server-for-file.js'
import { FaultyNetwork } from './support/faulty-network.js'
import { rejection } from './support/settled.js'

let server: TestServer
let sdk: TaskcastServerClient
serverForFile((started, client) => ((server = started), (sdk = client)))

async function runningTask(): Promise<string> {
  const { id } = await sdk.createTask({ type: 'producer-test' })
  await sdk.transitionTask(id, 'running')
  return id
}

/** A client whose requests are recorded (and, with a plan, disturbed). */
function recorded(network = new FaultyNetwork()): { client: TaskcastServerClient; network: FaultyNetwork } {
  return { client: new TaskcastServerClient({ baseUrl: server.url, fetch: network.fetch }), network }
}

const step = (n: number) => ({ type: 'step', data: { n } })

/**
 * The requests as `[seq, events]`, one per batch, by seq: concurrent requests may reach the server
 * out of order and go again, and each attempt of a batch carries the same seqs.
 */
function batchesOf(network: FaultyNetwork): [number | undefined, number][] {
  const bySeq = new Map(network.exchanges.map((exchange) => [exchange.stamp?.seq, exchange.events]))
  expect(network.exchanges.filter((exchange) => exchange.status === 201)).toHaveLength(bySeq.size)
  return [...bySeq].sort(([a], [b]) => a! - b!)
}

async function userEvents(taskId: string): Promise<TaskEvent[]> {
  return (await sdk.getHistory(taskId)).filter((event) => event.type !== 'taskcast:status')
}

describe('producer: numbering and batching', () => {
  it('numbers events in publish order and sends maxBatch at a time, with default options', async () => {
    const taskId = await runningTask()
    const { client, network } = recorded()
    const producer = client.producer(taskId)
    const stored = await Promise.all(Array.from({ length: 250 }, (_, n) => producer.publish(step(n))))
    expect(batchesOf(network)).toEqual([
      [0, 100],
      [100, 100],
      [200, 50],
    ])
    const stamps = new Set(network.exchanges.map(({ stamp }) => `${stamp?.id} ${stamp?.epoch}`))
    expect(stamps).toEqual(new Set([`${producer.producerId} 0`]))
    expect(producer.producerId).toMatch(/^producer-[0-9A-Z]{26}$/)
    const log = await userEvents(taskId)
    expect(log.map((event) => event.data)).toEqual(Array.from({ length: 250 }, (_, n) => ({ n })))
    // Each publish resolves with its own event as stored.
    expect(stored.map(({ id, index }) => ({ id, index }))).toEqual(log.map(({ id, index }) => ({ id, index })))
    expect(stored.map((event) => event.index)).toEqual(Array.from({ length: 250 }, (_, n) => n + 1))
  })

  it('gathers what is published within lingerMs into one request, and goes on numbering after it', async () => {
    const taskId = await runningTask()
    const { client, network } = recorded()
    const producer = client.producer(taskId, { lingerMs: 20 })
    await Promise.all([producer.publish(step(0)), producer.publish(step(1)), producer.publish(step(2))])
    await producer.publish(step(3))
    expect(batchesOf(network)).toEqual([
      [0, 3],
      [3, 1],
    ])
  })

  it('cuts batches at maxBatchBytes, and sends an event bigger than that alone', async () => {
    const taskId = await runningTask()
    const { client, network } = recorded()
    const producer = client.producer(taskId, { maxBatchBytes: 1000 })
    const event = (n: number, size: number) => ({ type: 'blob', data: { n, text: 'é'.repeat(size) } })
    // 'é' is two bytes of UTF-8: 2 × 210 + the rest ≈ 450 bytes each, two to a request.
    await Promise.all([event(0, 210), event(1, 210), event(2, 210), event(3, 600), event(4, 210)].map((input) => producer.publish(input)))
    expect(batchesOf(network)).toEqual([
      [0, 2],
      [2, 1],
      [3, 1],
      [4, 1],
    ])
    expect((await userEvents(taskId)).map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4])
  })

  it('sends the input as it was when published, not as changed afterwards', async () => {
    const taskId = await runningTask()
    const producer = sdk.producer(taskId)
    const input = { type: 'step', data: { text: 'before' } }
    const publishing = producer.publish(input)
    input.data.text = 'after'
    expect((await publishing).data).toEqual({ text: 'before' })
  })
})

describe('producer: flush and close', () => {
  it('flush resolves once everything published before it is stored, without waiting for lingerMs', async () => {
    const taskId = await runningTask()
    const producer = sdk.producer(taskId, { lingerMs: 60_000 })
    const settled: number[] = []
    for (let n = 0; n < 5; n++) void producer.publish(step(n)).then(() => settled.push(n))
    await producer.flush()
    // Each publish's own continuation ran before flush's: they settle first.
    expect(settled).toEqual([0, 1, 2, 3, 4])
    expect(await userEvents(taskId)).toHaveLength(5)
    await producer.flush() // nothing pending: at once
  })

  it('close waits for what is pending, then refuses publish; closing twice is fine', async () => {
    const taskId = await runningTask()
    const producer = sdk.producer(taskId, { lingerMs: 60_000 })
    const pending = [producer.publish(step(0)), producer.publish(step(1))]
    await producer.close()
    expect((await Promise.all(pending)).map((event) => event.index)).toEqual([1, 2])
    const late = await rejection(producer.publish(step(2)))
    expect([late.code, late.message]).toEqual(['VALIDATION_ERROR', `producer ${producer.producerId} is closed`])
    await producer.close()
    expect(await userEvents(taskId)).toHaveLength(2)
  })
})

describe('producer: what it refuses', () => {
  it('rejects an invalid input alone, and goes on with the next', async () => {
    const taskId = await runningTask()
    const producer = sdk.producer(taskId)
    const invalid = await rejection(producer.publish({ type: 'taskcast:forged' }))
    expect(invalid.code).toBe('VALIDATION_ERROR')
    expect((await producer.publish(step(0))).index).toBe(1)
    await producer.close()
  })

  it.each([
    [{ maxBatch: 500, maxInFlight: 3 }, 'maxBatch'],
    [{ maxInFlight: 0 }, 'maxInFlight'],
    [{ lingerMs: -1 }, 'lingerMs'],
    [{ epoch: 1.5 }, 'epoch'],
    [{ epoch: 'latest' as never }, 'epoch'],
    [{ producerId: 'prodücer' }, 'producerId'],
    [{ producerId: '' }, 'producerId'],
  ])('refuses the options %j with VALIDATION_ERROR naming %s', (options, field) => {
    let thrown: unknown
    try {
      sdk.producer('any', options)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({ code: 'VALIDATION_ERROR', details: { field } })
  })

  it('fails for good when the task is not running: every publish and flush rejects with TASK_NOT_RUNNING', async () => {
    const { id } = await sdk.createTask()
    const producer = sdk.producer(id)
    const first = await rejection(producer.publish(step(0)))
    expect(first.code).toBe('TASK_NOT_RUNNING')
    await sdk.transitionTask(id, 'running')
    expect(await rejection(producer.publish(step(1)))).toBe(first)
    expect(await rejection(producer.flush())).toBe(first)
    expect(await userEvents(id)).toEqual([])
  })
})
