// Scale-out (2): process A is killed (SIGKILL) while it streams 5,000 events to 100
// subscribers and a publisher writes through B. Every subscriber reconnects to B with the id
// of the last event it got and ends with the complete sequence: none lost, none repeated.
import { describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { history, publishNumbered, sdk, SEQ_TYPE } from './support/publisher.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { expectExactDelivery, expectPublishedOnce, printSummary } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'

const EVENTS = 5000
const SUBSCRIBERS = 100

if (await servicesAvailable('scale-out: failover after a killed process', ['redis'])) {
  describe('a process killed mid-stream', () => {
    const servers = twoProcesses('failover')

    it(`resumes ${SUBSCRIBERS} subscribers of a killed process on B, after their last event, with nothing lost or repeated`, async () => {
      const task = await sdk(servers.b.url).createTask({ type: 'e2e.failover' })
      await sdk(servers.b.url).transitionTask(task.id, 'running')
      // Each subscriber reaches the service through a router that prefers A and moves to B
      // once A refuses connections, as a load balancer's health check would.
      const subscribers = Array.from({ length: SUBSCRIBERS }, () => new RecordingSubscriber(task.id, new FailoverFetch([servers.a.url, servers.b.url])))
      await Promise.all(subscribers.map((subscriber) => subscriber.reached(0)))
      expect(new Set(subscribers.map((subscriber) => subscriber.connections[0]!.backend))).toEqual(new Set([servers.a.url]))

      let killedAt: { published: number; slowest: number; fastest: number } | undefined
      const publishing = publishNumbered({
        servers: [servers.b.url],
        taskId: task.id,
        count: EVENTS,
        batchSize: 10,
        afterBatch: (published) => {
          if (killedAt || published < EVENTS / 2) return
          const positions = subscribers.map((subscriber) => subscriber.lastIndex)
          killedAt = { published, slowest: Math.min(...positions), fastest: Math.max(...positions) }
          void servers.a.kill()
        },
      })
      await publishing
      await sdk(servers.b.url).transitionTask(task.id, 'completed')
      expect(await servers.a.exited).toEqual({ code: null, signal: 'SIGKILL' })

      const reasons = await Promise.all(subscribers.map((subscriber) => subscriber.done))
      expect(reasons).toEqual(subscribers.map(() => 'completed'))
      const log = await history(servers.b.url, task.id)
      expect(log).toHaveLength(EVENTS + 2)
      const published = expectPublishedOnce(log, EVENTS, SEQ_TYPE)
      const counts = expectExactDelivery(log, subscribers)

      // Every subscriber went to A first, and resumed on B with the id of the last event it had.
      for (const subscriber of subscribers) {
        const [first, ...later] = subscriber.connections
        expect(first).toMatchObject({ backend: servers.a.url, status: 200, sinceId: null })
        const resumed = later.filter((connection) => connection.status === 200)
        expect(resumed.length).toBeGreaterThanOrEqual(1)
        for (const connection of resumed) {
          expect(connection.backend).toBe(servers.b.url)
          expect(connection.sinceId).not.toBeNull()
          expect(connection.sinceId).toBe(connection.lastDeliveredId)
        }
      }
      const reconnects = subscribers.reduce((sum, subscriber) => sum + subscriber.connections.length - 1, 0)
      printSummary({
        scenario: '2 SIGKILL A while streaming',
        events: log.length,
        subscribers: SUBSCRIBERS,
        published,
        killedAt,
        reconnectRequests: reconnects,
        ...counts,
      })
    })
  })
}
