// The contract suites on Redis Cluster (one node owning every slot): cluster mode refuses
// any script whose keys hash to different slots (CROSSSLOT), so this proves the {taskId}
// hash tags, and runs the adapters over an ioredis Cluster client.
import { describeBroadcastProviderContract, describeShortTermStoreContract } from '@taskcast/core/testing'
import { Cluster } from 'ioredis'
import { afterAll } from 'vitest'
import { RedisBroadcastProvider, RedisShortTermStore } from '../src/index.js'
import { privateRedisAvailable, startSingleNodeCluster } from './redis.js'

if (await privateRedisAvailable('Redis Cluster contract suites')) {
  const server = await startSingleNodeCluster()
  const clients: Cluster[] = []
  const cluster = () => {
    const client = new Cluster([{ host: '127.0.0.1', port: server.port }], {
      enableOfflineQueue: false,
      redisOptions: { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false },
    })
    clients.push(client)
    return client
  }
  afterAll(async () => {
    for (const client of clients) client.disconnect()
    await server.destroy()
  })

  describeShortTermStoreContract('redis cluster', {
    create: () => new RedisShortTermStore({ redis: cluster() }),
    deadlines: true,
  })

  describeBroadcastProviderContract('redis cluster', {
    create: () => {
      const provider = new RedisBroadcastProvider({ redis: cluster() })
      provider.onHandlerError = () => {}
      return provider
    },
    settle: (provider) => (provider as RedisBroadcastProvider).ready(),
  })
}
