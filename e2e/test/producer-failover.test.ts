// Exactly-once publishing through a killed process (SPEC §19): two taskcast processes share
// Redis; a producer publishes 5,000 events through a proxy that forwards to A and, once A refuses
// connections, to B. A is SIGKILLed mid-stream, with requests in flight, right after an answer it
// gave was dropped: a request A stored goes unanswered, as when a process dies between its Redis
// call and its answer. The log must hold exactly the 5,000 events, in order.
import type { TaskEvent } from '@taskcast/core'
import { TaskcastServerClient } from '@taskcast/server-sdk'
import { describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { HttpFaultProxy } from './support/http-fault-proxy.js'
import { history, sdk, SEQ_TYPE } from './support/publisher.js'
import { expectPublishedOnce, printSummary } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'

const EVENTS = 5000

if (await servicesAvailable('exactly-once publishing through a killed process', ['redis'])) {
  describe('a producer whose server process is killed mid-stream', () => {
    const servers = twoProcesses('producer-failover')

    it(`stores ${EVENTS} events exactly once, in order, across a SIGKILL of the process it publishes through`, async () => {
      const direct = sdk(servers.b.url)
      const task = await direct.createTask({ type: 'e2e.producer-failover' })
      await direct.transitionTask(task.id, 'running')
      const proxy = await HttpFaultProxy.start([servers.a.url, servers.b.url], { seed: 1, dropAnswer: 0, reset: 0 })
      const switched = new Promise<string | undefined>((resolve) => (proxy.onSwitch = (_, to) => resolve(to)))
      try {
        const producer = new TaskcastServerClient({ baseUrl: proxy.url }).producer(task.id, { maxBatch: 10 })
        const stored: Promise<TaskEvent>[] = []
        let storedCount = 0
        let killedAt: { stored: number; published: number } | undefined
        for (let n = 0; n < EVENTS; n++) {
          stored.push(producer.publish({ type: SEQ_TYPE, data: { n } }).then((event) => (storedCount++, event)))
          // Killed once half is stored, while the next requests are on their way.
          if (n === EVENTS / 2) {
            void stored[EVENTS / 2 - 1]!
              .then(() => proxy.dropAnswersFrom(servers.a.url))
              .then(() => {
                killedAt = { stored: storedCount, published: stored.length }
                void servers.a.kill()
              })
          }
          if (n % 250 === 249) await stored[n]
        }
        const events = await Promise.all(stored)
        await producer.close()
        expect(await servers.a.exited).toEqual({ code: null, signal: 'SIGKILL' })
        expect(await switched).toBe(servers.b.url)

        const log = await history(servers.b.url, task.id)
        const counts = expectPublishedOnce(log, EVENTS, SEQ_TYPE)
        expect(log).toHaveLength(EVENTS + 1)
        expect(events.map((event) => event.id)).toEqual(log.slice(1).map((event) => event.id))
        const { requests, upstreamFailed, statuses } = proxy.counts
        expect(upstreamFailed).toBeGreaterThan(0)
        // Requests A stored without its answer getting out were sent again to B, which answered 200.
        expect(statuses[200]).toBeGreaterThan(0)
        printSummary({ scenario: 'producer across a SIGKILL (Redis)', events: events.length, killedAt, requests, upstreamFailed, statuses, ...counts })
      } finally {
        await proxy.close()
      }
    })
  })
}
