// The global live stream (`subscribeAll`), subscriber counts (`serveSubscriberCounts`,
// `countElsewhere`) and connected workers (`serveWorkers`, `workersElsewhere`) across providers, as across processes, on one Redis node and on Cluster.
import { TASK_DELETED_TYPE, TaskcastError, type TaskEvent, type WorkerListing } from '@taskcast/core'
import { makeDraft } from '@taskcast/core/testing'
import { Cluster, Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { RedisBroadcastProvider, type RedisBroadcastProviderOptions } from '../src/index.js'
import { adminClient, privateRedisAvailable, REDIS_URL, redisAvailable, runPrefix, startSingleNodeCluster, type PrivateRedis } from './redis.js'

function event(taskId: string, index: number): TaskEvent {
  return { ...makeDraft(taskId, { data: { index } }), index }
}

function tombstone(taskId: string): TaskEvent {
  return { ...makeDraft(taskId, { type: TASK_DELETED_TYPE, data: null }), index: -1 }
}

function uniqueTask(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
}

/** `[taskId, index]` of each event. */
function pairs(events: TaskEvent[]): [string, number][] {
  return events.map((e) => [e.taskId, e.index])
}

/** Resolves with `promise`'s value, or with 'too late' once `ms` passed. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'too late'> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<'too late'>((resolve) => (timer = setTimeout(() => resolve('too late'), ms)))
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** The global-stream and count tests, on whatever Redis `open` connects to. */
function describeGlobalAndCounts(name: string, open: () => RedisBroadcastProviderOptions, cluster: boolean): void {
  describe(`RedisBroadcastProvider global stream and counts: ${name}`, () => {
    const opened: RedisBroadcastProvider[] = []
    const provider = () => {
      const created = new RedisBroadcastProvider(open())
      opened.push(created)
      return created
    }
    // Each test's providers go with it: one still serving counts would answer the next test's questions.
    afterEach(() => Promise.all(opened.splice(0).map((p) => p.close())))

    it('gives a global handler every task’s events from another provider once each, deletions included', async () => {
      const [a, b] = [provider(), provider()]
      const tasks = Array.from({ length: 5 }, (_, n) => uniqueTask(`all-${n}`))
      const received: TaskEvent[] = []
      const off = b.subscribeAll((e) => received.push(e))
      await b.ready()
      const expected: TaskEvent[] = []
      for (let i = 0; i < 4; i++) {
        for (const taskId of tasks) expected.push(event(taskId, i))
      }
      expected.push(tombstone(tasks[0]!))
      for (const e of expected) await a.publish(e.taskId, e)
      // B's PING is answered after every message Redis sent it before: all have arrived.
      await b.ready()
      const ours = received.filter((e) => tasks.includes(e.taskId))
      expect(pairs(ours)).toEqual(pairs(expected))
      expect(ours.at(-1)!.type).toBe(TASK_DELETED_TYPE)
      expect(Object.keys(ours[0]!)).not.toContain('_origin')
      off()
    })

    it('gives a global handler and a task’s handler of the same provider each message once, as one object', async () => {
      const [a, b] = [provider(), provider()]
      const taskId = uniqueTask('both')
      const other = uniqueTask('other')
      const global: TaskEvent[] = []
      const perTask: TaskEvent[] = []
      // Both right away: on Cluster the first two commands race the lazy subscriber's handshake.
      const offGlobal = b.subscribeAll((e) => global.push(e))
      const offTask = b.subscribe(taskId, (e) => perTask.push(e))
      await b.ready()
      await a.publish(taskId, event(taskId, 0))
      await a.publish(other, event(other, 0))
      await a.publish(taskId, event(taskId, 1))
      await b.ready()
      expect(pairs(global.filter((e) => e.taskId === taskId || e.taskId === other))).toEqual([
        [taskId, 0],
        [other, 0],
        [taskId, 1],
      ])
      expect(pairs(perTask)).toEqual([
        [taskId, 0],
        [taskId, 1],
      ])
      const sameTask = global.filter((e) => e.taskId === taskId)
      expect(sameTask[0]).toBe(perTask[0])
      expect(sameTask[1]).toBe(perTask[1])
      offGlobal()
      offTask()
    })

    it('unsubscribes the pattern after the last global handler', async () => {
      const [a, b] = [provider(), provider()]
      const taskId = uniqueTask('off')
      const received: TaskEvent[] = []
      const offFirst = b.subscribeAll((e) => received.push(e))
      const offSecond = b.subscribeAll(() => {})
      await b.ready()
      await a.publish(taskId, event(taskId, 0))
      await b.ready()
      offFirst()
      offSecond()
      // A task's subscription keeps the connection in use, and shows when the publish arrived.
      const perTask: TaskEvent[] = []
      const offTask = b.subscribe(taskId, (e) => perTask.push(e))
      await b.ready()
      await a.publish(taskId, event(taskId, 1))
      await b.ready()
      expect(pairs(received.filter((e) => e.taskId === taskId))).toEqual([[taskId, 0]])
      expect(pairs(perTask)).toEqual([[taskId, 1]])
      offTask()
    })

    if (!cluster) {
      it('subscribes the pattern once however many global handlers, and unsubscribes after the last', async () => {
        const connectionName = `taskcast-test-${Math.random().toString(36).slice(2)}`
        const given = new Redis(REDIS_URL, { connectionName })
        const b = new RedisBroadcastProvider({ ...open(), url: undefined, redis: given })
        const admin = adminClient()
        /** The `psub` field of B's subscriber connection (the one with a subscription). */
        const patterns = async () => {
          const list = (await admin.client('LIST')) as string
          const line = list.split('\n').find((l) => l.includes(` name=${connectionName} `) && !/\bsub=0 psub=0\b/.test(l))
          return line === undefined ? 0 : Number(/\bpsub=(\d+)/.exec(line)![1])
        }
        try {
          const offA = b.subscribeAll(() => {})
          const offB = b.subscribeAll(() => {})
          await b.ready()
          expect(await patterns()).toBe(1)
          offA()
          offA()
          await b.ready()
          expect(await patterns()).toBe(1)
          offB()
          await b.ready()
          expect(await patterns()).toBe(0)
        } finally {
          admin.disconnect()
          await b.close()
          given.disconnect()
        }
      })

      it('counts the subscribers of other providers, resolving once every receiver answered', async () => {
        const [a, b, c] = [provider(), provider(), provider()]
        a.serveSubscriberCounts((taskId) => (taskId === 'x' ? 3 : 0))
        c.serveSubscriberCounts((taskId) => (taskId === 'x' ? 2 : 1))
        // B serves too: its own question reaches it, and must not count.
        b.serveSubscriberCounts(() => 7)
        await Promise.all([a.ready(), b.ready(), c.ready()])
        expect(await within(b.countElsewhere('x', 5_000), 4_000)).toBe(5)
        expect(await within(b.countElsewhere('y', 5_000), 4_000)).toBe(1)
        expect(await within(a.countElsewhere('x', 5_000), 4_000)).toBe(9)
        // Concurrent questions are told apart.
        expect(await within(Promise.all([b.countElsewhere('x', 5_000), b.countElsewhere('y', 5_000)]), 4_000)).toEqual([5, 1])
        await c.close()
        expect(await within(b.countElsewhere('x', 5_000), 4_000)).toBe(3)
      })

      it('lists the workers of other providers, resolving once every receiver answered', async () => {
        const [a, b, c] = [provider(), provider(), provider()]
        const pulling: WorkerListing = { workerId: 'p-1', types: ['llm.*'], mode: 'pull' }
        const socket: WorkerListing = { workerId: 'w-1', tags: ['gpu'], mode: 'ws', capacity: 2, assigned: 1, running: 0, connectedAt: 1_700_000_000_000 }
        a.serveWorkers(() => [pulling])
        // C serves counts only: it answers a workers question with none, so no one waits for it.
        c.serveSubscriberCounts(() => 2)
        // B serves too: its own question reaches it, and its workers are not "elsewhere".
        b.serveWorkers(() => [socket])
        await Promise.all([a.ready(), b.ready(), c.ready()])
        expect(await within(b.workersElsewhere(5_000), 4_000)).toEqual([pulling])
        expect(await within(c.workersElsewhere(5_000), 4_000)).toEqual(expect.arrayContaining([pulling, socket]))
        expect(await within(c.workersElsewhere(5_000), 4_000)).toHaveLength(2)
        // A workers question and a count asked at once are told apart.
        expect(await within(Promise.all([b.workersElsewhere(5_000), b.countElsewhere('x', 5_000)]), 4_000)).toEqual([[pulling], 2])
        await a.close()
        expect(await within(b.workersElsewhere(5_000), 4_000)).toEqual([])
      })

      it('reports a workers answer that lists no workers, and leaves it out', async () => {
        const [a, b] = [provider(), provider()]
        const errors: unknown[] = []
        b.onError = (error) => errors.push(error)
        const options = open()
        const liar = new Redis(options.url!)
        const answering = new Redis(options.url!)
        try {
          // Answers every question with a listing that is not one, as a broken process might.
          await liar.subscribe(`${options.keyPrefix}control`)
          liar.on('message', (_channel: string, message: string) => {
            const question = JSON.parse(message) as { q: number; r: string }
            void answering.publish(question.r, JSON.stringify({ q: question.q, w: [{ workerId: 7 }] }))
          })
          a.serveWorkers(() => [{ workerId: 'p-2', mode: 'pull' }])
          await a.ready()
          expect(await b.workersElsewhere(300)).toEqual([{ workerId: 'p-2', mode: 'pull' }])
          expect(errors.map((e) => (e as Error).message)).toEqual([expect.stringMatching(/^unexpected message on .*control:.*workerId":7/)])
        } finally {
          liar.disconnect()
          answering.disconnect()
        }
      })

      it('leaves out a receiver that does not answer once the timeout passed', async () => {
        const [a, b] = [provider(), provider()]
        a.serveSubscriberCounts(() => 3)
        const options = open()
        const silent = new Redis(options.url!)
        try {
          // Receives every question and never answers, as a process stuck mid-way would.
          await silent.subscribe(`${options.keyPrefix}control`)
          await a.ready()
          const started = performance.now()
          expect(await b.countElsewhere('x', 200)).toBe(3)
          // The timer, not the answer, ended the wait (setTimeout may fire a millisecond early).
          expect(performance.now() - started).toBeGreaterThanOrEqual(195)
        } finally {
          silent.disconnect()
        }
      })

      it('answers 0 for a count that throws, reporting the error', async () => {
        const [a, b] = [provider(), provider()]
        const errors: unknown[] = []
        a.onHandlerError = (error) => errors.push(error)
        a.serveSubscriberCounts(() => {
          throw new Error('count bug')
        })
        await a.ready()
        expect(await within(b.countElsewhere('x', 5_000), 4_000)).toBe(0)
        expect(errors.map((e) => (e as Error).message)).toEqual(['count bug'])
      })

      it('reports a message on the control channel that is not a question, and goes on', async () => {
        const [a, b] = [provider(), provider()]
        const errors: unknown[] = []
        a.onError = (error) => errors.push(error)
        a.serveSubscriberCounts(() => 4)
        await a.ready()
        const admin = adminClient()
        try {
          await admin.publish(`${open().keyPrefix}control`, 'not json')
          await admin.publish(`${open().keyPrefix}control`, '{"q":"no task"}')
        } finally {
          admin.disconnect()
        }
        expect(await within(b.countElsewhere('x', 5_000), 4_000)).toBe(4)
        expect(errors).toHaveLength(2)
        expect(errors[0]).toBeInstanceOf(SyntaxError)
      })
    } else {
      it('waits for the timeout on Cluster, where a PUBLISH counts one node’s receivers only', async () => {
        const [a, b, c] = [provider(), provider(), provider()]
        a.serveSubscriberCounts(() => 3)
        c.serveSubscriberCounts(() => 2)
        await Promise.all([a.ready(), c.ready()])
        const started = performance.now()
        expect(await b.countElsewhere('x', 300)).toBe(5)
        expect(performance.now() - started).toBeGreaterThanOrEqual(295)
      })

      it('lists the workers of other providers on Cluster once the timeout passed', async () => {
        const [a, b] = [provider(), provider()]
        a.serveWorkers(() => [{ workerId: 'p-1', mode: 'pull' }])
        await a.ready()
        expect(await b.workersElsewhere(300)).toEqual([{ workerId: 'p-1', mode: 'pull' }])
      })
    }
  })
}

if (redisAvailable('RedisBroadcastProvider global stream and counts')) {
  const keyPrefix = runPrefix('broadcast-global')
  describeGlobalAndCounts('redis', () => ({ url: REDIS_URL, keyPrefix }), false)
}

if (await privateRedisAvailable('RedisBroadcastProvider global stream and counts on Redis Cluster')) {
  let server: PrivateRedis
  const clients: Cluster[] = []
  beforeAll(async () => {
    server = await startSingleNodeCluster()
  })
  afterAll(async () => {
    for (const client of clients) client.disconnect()
    await server.destroy()
  })
  describeGlobalAndCounts(
    'redis cluster',
    () => {
      const client = new Cluster([{ host: '127.0.0.1', port: server.port }], {
        enableOfflineQueue: false,
        redisOptions: { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false },
      })
      clients.push(client)
      return { redis: client }
    },
    true,
  )
}

describe('countElsewhere without Redis', () => {
  it('resolves 0 at once and reports the outage', async () => {
    const broadcast = new RedisBroadcastProvider({ url: 'redis://127.0.0.1:1' })
    const errors: unknown[] = []
    broadcast.onError = (error) => errors.push(error)
    try {
      expect(await within(broadcast.countElsewhere('x', 5_000), 4_000)).toBe(0)
      expect(errors).toHaveLength(1)
      expect(TaskcastError.isInstance(errors[0]) && errors[0].code).toBe('STORE_UNAVAILABLE')
    } finally {
      await broadcast.close()
    }
  })
})
