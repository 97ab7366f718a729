// Redis-specific behaviour of RedisBroadcastProvider: reference-counted subscriptions on one
// shared subscriber connection, delivery across providers, and recovery from a restart.
import { makeDraft } from '@taskcast/core/testing'
import type { TaskEvent } from '@taskcast/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisBroadcastProvider } from '../src/index.js'
import { adminClient, PrivateRedis, privateRedisAvailable, REDIS_URL, redisAvailable, runPrefix } from './redis.js'

function event(taskId: string, index: number): TaskEvent {
  return { ...makeDraft(taskId, { data: { index } }), index }
}

function uniqueTask(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
}

/** Resolves with the handler's first `count` events. */
function collect(count: number) {
  const received: TaskEvent[] = []
  let resolve!: (events: TaskEvent[]) => void
  const done = new Promise<TaskEvent[]>((r) => (resolve = r))
  return {
    done,
    handler: (e: TaskEvent) => {
      received.push(e)
      if (received.length === count) resolve(received)
    },
  }
}

async function numsub(client: Redis, channel: string): Promise<number> {
  const [, count] = (await client.pubsub('NUMSUB', channel)) as [string, number]
  return Number(count)
}

if (redisAvailable('RedisBroadcastProvider')) {
  describe('RedisBroadcastProvider on Redis', () => {
    const keyPrefix = runPrefix('broadcast')
    let admin: Redis

    beforeAll(() => {
      admin = adminClient()
    })
    afterAll(() => {
      admin.disconnect()
    })

    it('subscribes once per task however many local subscribers, and unsubscribes after the last', async () => {
      const provider = new RedisBroadcastProvider({ url: REDIS_URL, keyPrefix })
      const taskId = uniqueTask('refcount')
      const channel = `${keyPrefix}live:{${taskId}}`
      const monitor = await admin.monitor()
      const commands: string[] = []
      let markerSeen!: () => void
      const marker = `end-of-${taskId}`
      const allSeen = new Promise<void>((resolve) => (markerSeen = resolve))
      monitor.on('monitor', (_time: string, args: string[]) => {
        const name = args[0]!.toLowerCase()
        if (name.endsWith('subscribe') && args.includes(channel)) commands.push(name)
        if (args.includes(marker)) markerSeen()
      })
      try {
        const offA = provider.subscribe(taskId, () => {})
        const offB = provider.subscribe(taskId, () => {})
        await provider.ready()
        expect(await numsub(admin, channel)).toBe(1)
        offA()
        offA()
        await provider.ready()
        expect(await numsub(admin, channel)).toBe(1)
        offB()
        await provider.ready()
        expect(await numsub(admin, channel)).toBe(0)
        // MONITOR reports commands in execution order: once the marker shows, all are in.
        await admin.echo(marker)
        await allSeen
        expect(commands).toEqual(['subscribe', 'unsubscribe'])
      } finally {
        monitor.disconnect()
        await provider.close()
      }
    })

    it('shares one subscriber connection among all tasks and leaves an instance it was given open', async () => {
      const connectionName = `taskcast-test-${Math.random().toString(36).slice(2)}`
      const given = new Redis(REDIS_URL, { connectionName })
      const provider = new RedisBroadcastProvider({ redis: given, keyPrefix })
      try {
        const offs = ['a', 'b', 'c'].map((label) => provider.subscribe(uniqueTask(label), () => {}))
        await provider.ready()
        const list = (await admin.client('LIST')) as string
        const ours = list.split('\n').filter((line) => line.includes(` name=${connectionName} `))
        expect(ours).toHaveLength(2)
        expect(ours.map((line) => /\bsub=(\d+)/.exec(line)![1]).sort()).toEqual(['0', '3'])
        for (const off of offs) off()
      } finally {
        await provider.close()
      }
      expect(await given.ping()).toBe('PONG')
      given.disconnect()
    })

    it('delivers events published by another provider, as across processes', async () => {
      const publisher = new RedisBroadcastProvider({ url: REDIS_URL, keyPrefix })
      const subscriber = new RedisBroadcastProvider({ url: REDIS_URL, keyPrefix })
      const taskId = uniqueTask('across')
      const sink = collect(3)
      try {
        const off = subscriber.subscribe(taskId, sink.handler)
        await subscriber.ready()
        for (let i = 0; i < 3; i++) await publisher.publish(taskId, event(taskId, i))
        expect((await sink.done).map((e) => [e.taskId, e.index])).toEqual([
          [taskId, 0],
          [taskId, 1],
          [taskId, 2],
        ])
        off()
      } finally {
        await Promise.all([publisher.close(), subscriber.close()])
      }
    })

    it('sends a batch as one PUBLISH that every other provider delivers event by event, in order, with single events around it', async () => {
      const publisher = new RedisBroadcastProvider({ url: REDIS_URL, keyPrefix })
      const subscriber = new RedisBroadcastProvider({ url: REDIS_URL, keyPrefix })
      const taskId = uniqueTask('batch')
      const channel = `${keyPrefix}live:{${taskId}}`
      const local: number[] = []
      const remote = collect(7)
      const everyTask: TaskEvent[] = []
      const monitor = await admin.monitor()
      const publishes: string[] = []
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0]!.toLowerCase() === 'publish' && args[1] === channel) publishes.push(args[2]!)
      })
      try {
        const offLocal = publisher.subscribe(taskId, (e) => local.push(e.index))
        const offRemote = subscriber.subscribe(taskId, remote.handler)
        const offAll = subscriber.subscribeAll((e) => {
          if (e.taskId === taskId) everyTask.push(e)
        })
        await Promise.all([publisher.ready(), subscriber.ready()])
        await publisher.publish(taskId, event(taskId, 0))
        await publisher.publishEvents(taskId, [1, 2, 3, 4, 5].map((i) => event(taskId, i)))
        // Delivered locally, in order, before publishEvents settled.
        expect(local).toEqual([0, 1, 2, 3, 4, 5])
        await publisher.publish(taskId, event(taskId, 6))
        const received = await remote.done
        expect(received.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6])
        expect(received[3]!.data).toEqual({ index: 3 })
        expect(Object.keys(received[3]!)).not.toContain('_events')
        expect(Object.keys(received[3]!)).not.toContain('_origin')
        await subscriber.ready()
        expect(everyTask.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6])
        // The publisher's own echoes came back too: none was delivered to it a second time.
        expect(local).toEqual([0, 1, 2, 3, 4, 5, 6])
        expect(publishes).toHaveLength(3)
        offLocal()
        offRemote()
        offAll()
      } finally {
        monitor.disconnect()
        await Promise.all([publisher.close(), subscriber.close()])
      }
    })

    it('drops a message that is not an event, reporting it, and goes on', async () => {
      const provider = new RedisBroadcastProvider({ url: REDIS_URL, keyPrefix })
      const errors: unknown[] = []
      provider.onError = (error) => errors.push(error)
      const taskId = uniqueTask('garbage')
      const channel = `${keyPrefix}live:{${taskId}}`
      const sink = collect(1)
      try {
        const off = provider.subscribe(taskId, sink.handler)
        await provider.ready()
        await admin.publish(channel, 'not json')
        await admin.publish(channel, JSON.stringify(event(taskId, 7)))
        expect((await sink.done).map((e) => e.index)).toEqual([7])
        expect(errors).toHaveLength(1)
        expect(errors[0]).toBeInstanceOf(SyntaxError)
        off()
      } finally {
        await provider.close()
      }
    })

    it('delivers its own publishes to its subscribers once, before publish settles, and to others through Redis', async () => {
      const provider = new RedisBroadcastProvider({ url: REDIS_URL, keyPrefix })
      const other = new RedisBroadcastProvider({ url: REDIS_URL, keyPrefix })
      const watcher = new RedisBroadcastProvider({ url: REDIS_URL, keyPrefix })
      const taskId = uniqueTask('local')
      const local: TaskEvent[] = []
      let lastArrived!: () => void
      const arrived = new Promise<void>((resolve) => (lastArrived = resolve))
      const watched = collect(4)
      try {
        const off = provider.subscribe(taskId, (e) => {
          local.push(e)
          if (e.index === 3) lastArrived()
        })
        const offWatcher = watcher.subscribe(taskId, watched.handler)
        await Promise.all([provider.ready(), watcher.ready()])
        for (let i = 0; i < 2; i++) {
          await provider.publish(taskId, event(taskId, i))
          expect(local.map((e) => e.index)).toEqual(Array.from({ length: i + 1 }, (_, n) => n))
        }
        // Redis runs these after the PUBLISHes of 0 and 1, so their echoes reach the
        // provider first: had it delivered them again, they would show up before 2.
        await other.publish(taskId, event(taskId, 2))
        await other.publish(taskId, event(taskId, 3))
        await arrived
        expect(local.map((e) => e.index)).toEqual([0, 1, 2, 3])
        expect(Object.keys(local[2]!)).not.toContain('_origin')
        expect((await watched.done).map((e) => e.index)).toEqual([0, 1, 2, 3])
        off()
        offWatcher()
      } finally {
        await Promise.all([provider.close(), other.close(), watcher.close()])
      }
    })
  })
}

if (await privateRedisAvailable('RedisBroadcastProvider across a Redis restart')) {
  describe('RedisBroadcastProvider across a Redis restart', () => {
    let server: PrivateRedis

    it('asks its subscribers to catch up once subscribed, and again after a reconnect', async () => {
      const provider = new RedisBroadcastProvider({ url: server.url })
      provider.onError = () => {}
      const resyncs: string[] = []
      let resynced!: () => void
      let waitFor = 1
      let reached = new Promise<void>((resolve) => (resynced = resolve))
      const onResync = (name: string) => () => {
        resyncs.push(name)
        if (resyncs.length === waitFor) resynced()
      }
      try {
        provider.subscribe('catch-up', () => {}, onResync('resync'))
        await reached
        expect(resyncs).toEqual(['resync'])
        waitFor = 2
        reached = new Promise<void>((resolve) => (resynced = resolve))
        await server.stop()
        await server.start()
        await reached
        expect(resyncs).toEqual(['resync', 'resync'])
      } finally {
        await provider.close()
      }
    })

    beforeAll(async () => {
      server = await PrivateRedis.start()
    })
    afterAll(async () => {
      await server.destroy()
    })

    it('re-subscribes after Redis restarts, including subscriptions made while it was down', async () => {
      const provider = new RedisBroadcastProvider({ url: server.url })
      const publisher = new RedisBroadcastProvider({ url: server.url })
      provider.onError = () => {}
      const before = collect(1)
      const after = collect(2)
      const joinedWhileDown = collect(1)
      let stage: 'before' | 'after' = 'before'
      try {
        provider.subscribe('steady', (e) => (stage === 'before' ? before : after).handler(e))
        await Promise.all([provider.ready(), publisher.ready()])
        await publisher.publish('steady', event('steady', 0))
        expect((await before.done).map((e) => e.index)).toEqual([0])

        stage = 'after'
        await server.stop()
        provider.subscribe('late', joinedWhileDown.handler)
        await server.start()
        await Promise.all([provider.ready(), publisher.ready()])

        const admin = new Redis(server.url)
        expect(await numsub(admin, 'taskcast:live:{steady}')).toBe(1)
        expect(await numsub(admin, 'taskcast:live:{late}')).toBe(1)
        admin.disconnect()

        await publisher.publish('steady', event('steady', 1))
        await publisher.publish('late', event('late', 0))
        await publisher.publish('steady', event('steady', 2))
        expect((await after.done).map((e) => e.index)).toEqual([1, 2])
        expect((await joinedWhileDown.done).map((e) => e.index)).toEqual([0])
      } finally {
        await Promise.all([provider.close(), publisher.close()])
      }
    })
  })
}
