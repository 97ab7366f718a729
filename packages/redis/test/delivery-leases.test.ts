// Webhook delivery leases: core's suite against the memory store, Redis and Redis Cluster
// (which refuses a script whose keys span slots, so it proves the scripts keep to the task's).
import { MemoryShortTermStore } from '@taskcast/core'
import { describeDeliveryLeaseContract } from '@taskcast/core/testing'
import { Cluster } from 'ioredis'
import { afterAll } from 'vitest'
import { RedisShortTermStore } from '../src/index.js'
import { deleteKeysUnder, privateRedisAvailable, REDIS_URL, redisAvailable, runPrefix, startSingleNodeCluster } from './redis.js'

describeDeliveryLeaseContract('memory', { create: () => new MemoryShortTermStore() })

if (redisAvailable('delivery leases on Redis')) {
  const prefixes: string[] = []
  afterAll(async () => {
    for (const prefix of prefixes) await deleteKeysUnder(prefix)
  })
  describeDeliveryLeaseContract('redis', {
    create: () => {
      const keyPrefix = runPrefix('leases')
      prefixes.push(keyPrefix)
      return new RedisShortTermStore({ url: REDIS_URL, keyPrefix })
    },
  })
}

if (await privateRedisAvailable('delivery leases on Redis Cluster')) {
  const server = await startSingleNodeCluster()
  const clients: Cluster[] = []
  afterAll(async () => {
    for (const client of clients) client.disconnect()
    await server.destroy()
  })
  describeDeliveryLeaseContract('redis cluster', {
    create: () => {
      const client = new Cluster([{ host: '127.0.0.1', port: server.port }], {
        enableOfflineQueue: false,
        redisOptions: { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false },
      })
      clients.push(client)
      return new RedisShortTermStore({ redis: client, keyPrefix: runPrefix('leases') })
    },
  })
}
