// Core's shared contract suites, unchanged, against a real Redis.
import { describeBroadcastProviderContract, describeShortTermStoreContract } from '@taskcast/core/testing'
import { afterAll } from 'vitest'
import { RedisBroadcastProvider, RedisShortTermStore } from '../src/index.js'
import { deleteKeysUnder, REDIS_URL, redisAvailable, runPrefix } from './redis.js'

if (redisAvailable('Redis contract suites')) {
  const keyPrefix = runPrefix('contract')
  afterAll(() => deleteKeysUnder(keyPrefix))

  describeShortTermStoreContract('redis', {
    create: () => new RedisShortTermStore({ url: REDIS_URL, keyPrefix }),
    deadlines: true,
  })

  describeBroadcastProviderContract('redis', {
    create: () => {
      const provider = new RedisBroadcastProvider({ url: REDIS_URL, keyPrefix })
      provider.onHandlerError = () => {}
      return provider
    },
    settle: (provider) => (provider as RedisBroadcastProvider).ready(),
  })
}
