// Scale-out (5): the Redis both processes share is killed in the middle of a stream and
// started again. While it is down, writes are answered 503 (and /health says so); the
// processes recover by themselves, and subscribers end with the whole log, without a gap.
// The Redis is a private redis-server on its own port: the shared one is never touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { history, publishNumbered, sdk, SEQ_TYPE } from './support/publisher.js'
import { DURABLE_REDIS_ARGS, PrivateRedis } from './support/private-redis.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { expectExactDelivery, expectPublishedOnce, printSummary } from './support/sequence.js'
import { keyPrefixFor, servicesAvailable } from './support/services.js'
import { TaskcastServer } from './support/taskcast-process.js'

const EVENTS = 2000
const DOWN_MS = 2000
const SUBSCRIBERS_PER_SERVER = 10

async function status(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init)
  await response.body?.cancel()
  return response.status
}

/** Resolves once `url` answers 200 (polled: a process's reconnect to Redis has no outside signal). */
async function until200(url: string, timeoutMs = 30_000): Promise<number> {
  const started = Date.now()
  while ((await status(url).catch(() => 0)) !== 200) {
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return Date.now() - started
}

if (await servicesAvailable('scale-out: Redis restarted mid-stream', ['redis-server'])) {
  describe('Redis restarted in the middle of a stream', () => {
    let redis: PrivateRedis
    let a: TaskcastServer
    let b: TaskcastServer

    beforeAll(async () => {
      redis = await PrivateRedis.start(DURABLE_REDIS_ARGS)
      const config = sharedConfig({ redisUrl: redis.url, keyPrefix: keyPrefixFor('redis-restart') })
      ;[a, b] = await Promise.all([TaskcastServer.start('A', config), TaskcastServer.start('B', config)])
    })
    afterAll(async () => {
      await Promise.all([a?.kill(), b?.kill()])
      await redis?.destroy()
    })

    it('answers 503 on writes while Redis is down, recovers by itself, and resumes every subscriber without a gap', async () => {
      const task = await sdk(a.url).createTask({ type: 'e2e.redis-restart' })
      await sdk(b.url).transitionTask(task.id, 'running')
      const subscribers = [a, b].flatMap((server) =>
        Array.from({ length: SUBSCRIBERS_PER_SERVER }, () => new RecordingSubscriber(task.id, new FailoverFetch([server.url]))),
      )
      await Promise.all(subscribers.map((subscriber) => subscriber.reached(0)))

      const outage = { writeStatuses: [] as number[], healthStatuses: [] as number[], recoveredAfterMs: [] as number[] }
      let outageOver: Promise<void> | undefined
      const report = await publishNumbered({
        servers: [a.url, b.url],
        taskId: task.id,
        count: EVENTS,
        batchSize: 5,
        pauseMs: 2,
        retryUnavailable: true,
        afterBatch: (published) => {
          if (outageOver || published < EVENTS / 2) return
          // Not awaited: the publisher keeps writing, so the crash may cut a write in flight.
          outageOver = (async () => {
            await redis.stop()
            for (const server of [a, b]) {
              outage.writeStatuses.push(
                await status(`${server.url}/tasks/${task.id}/events`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ type: 'e2e.probe' }),
                }),
              )
              outage.healthStatuses.push(await status(`${server.url}/health`))
            }
            await new Promise((resolve) => setTimeout(resolve, DOWN_MS))
            await redis.start()
          })()
        },
      })
      await outageOver
      // Neither process was restarted: each found Redis again on its own.
      for (const server of [a, b]) outage.recoveredAfterMs.push(await until200(`${server.url}/health`))
      await sdk(a.url).transitionTask(task.id, 'completed')

      expect(outage.writeStatuses).toEqual([503, 503])
      expect(outage.healthStatuses).toEqual([503, 503])
      expect(report.unavailable).toBeGreaterThan(0)
      expect(await Promise.all(subscribers.map((subscriber) => subscriber.done))).toEqual(subscribers.map(() => 'completed'))
      const log = await history(b.url, task.id)
      const published = expectPublishedOnce(log, EVENTS, SEQ_TYPE)
      expect(log).toHaveLength(EVENTS + 2)
      const counts = expectExactDelivery(log, subscribers)
      expect([a.alive, b.alive]).toEqual([true, true])
      printSummary({
        scenario: '5 Redis killed and restarted mid-stream',
        events: log.length,
        subscribers: subscribers.length,
        downMs: DOWN_MS,
        writesAnswered503WhileDown: report.unavailable + outage.writeStatuses.length,
        storedDespiteError: report.storedDespiteError,
        subscriberReconnects: subscribers.reduce((sum, subscriber) => sum + subscriber.connections.length - 1, 0),
        published,
        ...counts,
      })
    })
  })
}
