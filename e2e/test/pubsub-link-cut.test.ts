// Scale-out (4): only B's pub/sub link to Redis goes down for 5 s (a TCP proxy between B's
// broadcast connections and Redis destroys them and refuses new ones), while A publishes
// 1,000 events. B's subscribers must miss nothing: B fills what pub/sub lost from the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { history, publishNumbered, sdk, SEQ_TYPE } from './support/publisher.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { expectExactDelivery, expectPublishedOnce, printSummary } from './support/sequence.js'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL, servicesAvailable } from './support/services.js'
import { hostAndPort, TcpProxy } from './support/tcp-proxy.js'
import { TaskcastServer } from './support/taskcast-process.js'

const EVENTS = 1000
const CUT_MS = 5000
const SUBSCRIBERS = 10

if (await servicesAvailable('scale-out: a process loses its pub/sub link', ['redis'])) {
  describe("B's pub/sub link to Redis cut for 5 s", () => {
    const keyPrefix = keyPrefixFor('pubsub-cut')
    let proxy: TcpProxy
    let a: TaskcastServer
    let b: TaskcastServer

    beforeAll(async () => {
      proxy = await TcpProxy.start(hostAndPort(REDIS_URL, 6379))
      ;[a, b] = await Promise.all([
        TaskcastServer.start('A', sharedConfig({ redisUrl: REDIS_URL, keyPrefix })),
        // B's short-term store talks to Redis directly; only its broadcast goes through the proxy.
        TaskcastServer.start('B', sharedConfig({ redisUrl: REDIS_URL, broadcastUrl: proxy.rewrite(REDIS_URL), keyPrefix })),
      ])
    })
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()])
      await proxy?.close()
      await deleteKeysUnder(keyPrefix)
    })

    it(`loses none of ${EVENTS} events published through A while the link is down`, async () => {
      const task = await sdk(a.url).createTask({ type: 'e2e.pubsub-cut' })
      await sdk(a.url).transitionTask(task.id, 'running')
      const onB = Array.from({ length: SUBSCRIBERS }, () => new RecordingSubscriber(task.id, new FailoverFetch([b.url])))
      await Promise.all(onB.map((subscriber) => subscriber.reached(0)))
      // B's publisher and subscriber connections.
      expect(proxy.open).toBe(2)

      // 200 events with the link up, 600 during the cut (spread over it), 200 after.
      await publishNumbered({ servers: [a.url], taskId: task.id, count: 200, batchSize: 5, pauseMs: 5 })
      await Promise.all(onB.map((subscriber) => subscriber.reached(200)))
      proxy.down()
      const cutAt = Date.now()
      const during = await publishNumbered({ servers: [a.url], taskId: task.id, from: 200, count: 600, batchSize: 5, pauseMs: CUT_MS / 120 - 5 })
      const seenDuringCut = onB.map((subscriber) => subscriber.lastIndex)
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, CUT_MS - (Date.now() - cutAt))))
      proxy.up()
      const cutMs = Date.now() - cutAt
      await publishNumbered({ servers: [a.url], taskId: task.id, from: 800, count: 200, batchSize: 5, pauseMs: 5 })
      await sdk(a.url).transitionTask(task.id, 'completed')

      expect(await Promise.all(onB.map((subscriber) => subscriber.done))).toEqual(onB.map(() => 'completed'))
      const log = await history(a.url, task.id)
      const published = expectPublishedOnce(log, EVENTS, SEQ_TYPE)
      // Nothing reached B while its link was down: the proof that the cut was real.
      expect(Math.max(...seenDuringCut)).toBe(200)
      expect(proxy.refused).toBeGreaterThan(0)
      const counts = expectExactDelivery(log, onB)
      // The SSE streams themselves never broke: B filled the gap without the clients' help.
      expect(onB.map((subscriber) => subscriber.connections.length)).toEqual(onB.map(() => 1))
      printSummary({
        scenario: "4 B's pub/sub link cut while A publishes",
        events: log.length,
        subscribersOnB: SUBSCRIBERS,
        cutMs,
        publishedDuringCut: during.published,
        refusedReconnects: proxy.refused,
        published,
        ...counts,
      })
    })

    it('delivers the end of a task that finished while the link was down', async () => {
      const task = await sdk(a.url).createTask({ type: 'e2e.pubsub-cut' })
      await sdk(a.url).transitionTask(task.id, 'running')
      const onB = Array.from({ length: SUBSCRIBERS }, () => new RecordingSubscriber(task.id, new FailoverFetch([b.url])))
      await Promise.all(onB.map((subscriber) => subscriber.reached(0)))
      await publishNumbered({ servers: [a.url], taskId: task.id, count: 100, batchSize: 5 })
      await Promise.all(onB.map((subscriber) => subscriber.reached(100)))
      proxy.down()
      await publishNumbered({ servers: [a.url], taskId: task.id, from: 100, count: EVENTS - 100, batchSize: 5 })
      await sdk(a.url).transitionTask(task.id, 'completed')
      await new Promise((resolve) => setTimeout(resolve, CUT_MS))
      proxy.up()
      // Long enough for ioredis to reconnect (≤ 2 s) and for one server heartbeat (15 s).
      const stuck = await Promise.race([
        Promise.all(onB.map((subscriber) => subscriber.done)).then(() => null),
        new Promise<number[]>((resolve) => setTimeout(() => resolve(onB.map((subscriber) => subscriber.lastIndex)), 17_000)),
      ])
      onB.forEach((subscriber) => subscriber.unsubscribe())
      expect(stuck, 'last index each subscriber of B reached').toBeNull()
      expectExactDelivery(await history(a.url, task.id), onB)
    })
  })
}
