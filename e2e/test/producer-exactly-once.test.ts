// Exactly-once publishing through a lossy network (SPEC §19): 10,000 events through
// `serverClient.producer()` to a real taskcast process, via a proxy that drops 10% of the
// answers after the server gave them and resets 2% of the connections before forwarding. The
// log must hold exactly the 10,000 events, in the order they were published, none twice; and
// each publish must resolve with its own event as stored. The faults are drawn from a fixed
// seed (PRODUCER_FAULT_SEED to try another).
import type { TaskEvent } from '@taskcast/core'
import { TaskcastServerClient } from '@taskcast/server-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpFaultProxy } from './support/http-fault-proxy.js'
import { history, sdk, SEQ_TYPE } from './support/publisher.js'
import { expectPublishedOnce, printSummary } from './support/sequence.js'
import { TaskcastServer, type TaskcastConfig } from './support/taskcast-process.js'

const EVENTS = 10_000
const SEED = Number(process.env.PRODUCER_FAULT_SEED ?? 20_261_202)

describe('a producer through a network that loses answers and connections', () => {
  let server: TaskcastServer
  let proxy: HttpFaultProxy
  beforeAll(async () => {
    // No adapters: the CLI's default, everything in memory (the Redis script has its own test, with a killed process).
    server = await TaskcastServer.start('memory', {} as TaskcastConfig)
    proxy = await HttpFaultProxy.start([server.url], { seed: SEED, dropAnswer: 0.1, reset: 0.02 })
  })
  afterAll(async () => {
    await proxy?.close()
    await server?.kill()
  })

  it(`stores ${EVENTS} events exactly once, in publish order, though 10% of answers and 2% of connections are lost`, async () => {
    const direct = sdk(server.url)
    const task = await direct.createTask({ type: 'e2e.producer' })
    await direct.transitionTask(task.id, 'running')

    // maxBatch 10 rather than 100, so that the run takes about a thousand requests and a hundred faults.
    const producer = new TaskcastServerClient({ baseUrl: proxy.url }).producer(task.id, { maxBatch: 10 })
    const stored: Promise<TaskEvent>[] = []
    for (let n = 0; n < EVENTS; n++) {
      stored.push(producer.publish({ type: SEQ_TYPE, data: { n } }))
      // In bursts of 500, so that batches form both by size and by linger.
      if (n % 500 === 499) await stored[n]
    }
    const events = await Promise.all(stored)
    await producer.close()

    const log = await history(server.url, task.id)
    const counts = expectPublishedOnce(log, EVENTS, SEQ_TYPE)
    expect(log).toHaveLength(EVENTS + 1) // and the running status event
    // Each publish resolved with its own event as the log holds it.
    expect(events.map(({ id, index }) => `${index}:${id}`)).toEqual(log.slice(1).map(({ id, index }) => `${index}:${id}`))
    const { requests, dropped, reset, statuses } = proxy.counts
    // The seed's faults did happen, and each lost answer of a stored request was answered 200 on its resend.
    expect(dropped).toBeGreaterThan(50)
    expect(reset).toBeGreaterThan(5)
    expect(statuses[200]).toBeGreaterThan(0)
    printSummary({ scenario: 'producer through a lossy proxy', seed: SEED, events: events.length, requests, dropped, reset, statuses, ...counts })
  })
})
