// The contract suites on Redis Cluster (one node owning every slot): cluster mode refuses
// any script whose keys hash to different slots (CROSSSLOT), so this proves the {taskId}
// hash tags, and runs the adapters over an ioredis Cluster client.
import { describeBroadcastProviderContract, describeShortTermStoreContract } from '@taskcast/core/testing'
import { Cluster, Redis } from 'ioredis'
import { afterAll } from 'vitest'
import { RedisBroadcastProvider, RedisShortTermStore } from '../src/index.js'
import { PrivateRedis, privateRedisAvailable } from './redis.js'

async function startSingleNodeCluster(): Promise<PrivateRedis> {
  const server = await PrivateRedis.start(['--cluster-enabled', 'yes', '--cluster-announce-ip', '127.0.0.1'])
  const admin = new Redis(server.url)
  try {
    await admin.cluster('ADDSLOTSRANGE', 0, 16383)
    // The node announces the state change on its own schedule and offers no event for it.
    for (let attempt = 0; ; attempt++) {
      const info = (await admin.cluster('INFO')) as string
      if (info.includes('cluster_state:ok')) break
      if (attempt === 500) throw new Error('the single-node cluster never became ready')
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  } finally {
    admin.disconnect()
  }
  return server
}

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
