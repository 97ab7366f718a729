// The `cluster` option: seed URLs instead of a client. Seeds that cannot all be reached the
// same way are refused before anything connects, naming the option; the adapters open their own
// Cluster clients from good seeds, work through them, and close them again.
import { makeDraft } from '@taskcast/core/testing'
import { TaskcastError, type TaskEvent } from '@taskcast/core'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { RedisBroadcastProvider, RedisShortTermStore } from '../src/index.js'
import { privateRedisAvailable, startSingleNodeCluster } from './redis.js'

function refusal(build: () => unknown): TaskcastError {
  try {
    build()
  } catch (error) {
    if (TaskcastError.isInstance(error)) return error
    throw error
  }
  throw new Error('the options were accepted')
}

describe.each([
  ['RedisShortTermStore', (options: { cluster: string[]; url?: string }) => new RedisShortTermStore(options)],
  ['RedisBroadcastProvider', (options: { cluster: string[]; url?: string }) => new RedisBroadcastProvider(options)],
])('%s refuses, naming the cluster option,', (adapter, build) => {
  it.each([
    [{ cluster: [] }, 'cluster must list at least one seed node'],
    [{ cluster: ['redis://127.0.0.1:1', '127.0.0.1:2'] }, 'cluster[1] must be a redis:// or rediss:// URL'],
    [{ cluster: ['redis://127.0.0.1:1/3'] }, 'cluster[0] selects a database: a Redis Cluster has database 0 only'],
    [
      { cluster: ['rediss://:pw@127.0.0.1:1', 'redis://:pw@127.0.0.1:2'] },
      'cluster[1] must have the scheme, user and password of cluster[0]: every node is reached with the same ones',
    ],
    [{ cluster: ['redis://127.0.0.1:1'], url: 'redis://127.0.0.1:1' }, `${adapter} takes \`cluster\` instead of \`url\`, not both`],
  ])('%j', (options, message) => {
    const error = refusal(() => build(options))
    expect([error.code, error.message, error.details]).toEqual(['VALIDATION_ERROR', message, { field: 'cluster' }])
  })
})

if (await privateRedisAvailable('the cluster option')) {
  describe('adapters opened from cluster seed URLs', async () => {
    const server = await startSingleNodeCluster()
    const admin = new Redis(server.url)
    afterAll(async () => {
      admin.disconnect()
      await server.destroy()
    })
    const connections = async () => ((await admin.client('LIST')) as string).trim().split('\n').length

    it('store and broadcast work through the clients they open, and close them', async () => {
      const before = await connections()
      const store = new RedisShortTermStore({ cluster: [server.url] })
      const publisher = new RedisBroadcastProvider({ cluster: [server.url] })
      const subscriber = new RedisBroadcastProvider({ cluster: [server.url] })
      const now = Date.now()
      expect(await store.createTask({ id: 'seeded', status: 'running', createdAt: now, updatedAt: now })).toBe(true)
      expect((await store.getTask('seeded'))?.status).toBe('running')

      const received = new Promise<TaskEvent>((resolve) => subscriber.subscribe('seeded', resolve))
      await subscriber.ready()
      const [event] = await store.appendEvents('seeded', [makeDraft('seeded', { data: { n: 1 } })])
      await publisher.publish('seeded', event!)
      expect(await received).toEqual(event)

      await Promise.all([store.close(), publisher.close(), subscriber.close()])
      await expect.poll(connections).toBe(before)
    })

    it('subscribes to many tasks at once on a subscriber connection not yet opened, without an error', async () => {
      const provider = new RedisBroadcastProvider({ cluster: [server.url] })
      const errors: unknown[] = []
      provider.onError = (error) => errors.push(error)
      await provider.ready()
      // ioredis opens a Cluster's subscriber connection with the first SUBSCRIBE; the others come,
      // one per turn of the event loop, while it does.
      const channels = Array.from({ length: 200 }, (_, i) => `burst-${i}`)
      for (const taskId of channels) {
        provider.subscribe(taskId, () => {})
        await new Promise((resolve) => setImmediate(resolve))
      }
      await provider.ready()
      const counts = (await admin.pubsub('NUMSUB', ...channels.map((taskId) => `taskcast:live:{${taskId}}`))) as (string | number)[]
      await provider.close()
      expect(errors).toEqual([])
      // [channel, subscribers, channel, subscribers, …]: each task subscribed once.
      expect(counts.filter((_, i) => i % 2 === 1).map(Number)).toEqual(channels.map(() => 1))
    })
  })
}
