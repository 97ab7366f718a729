// Scale-out (webhooks): delivery is a reader of the task's log, owned by one process at a time.
// The scenario of support/webhook-scenario.ts on one Redis: A and B publish 2,000 events
// alternately to a task with a filtered per-task webhook and a global one, and are stopped
// mid-stream: A alone (SIGKILL), or both (SIGKILL) and started again on the same
// Redis and key prefix; and the SIGKILL case again on a 3-master Redis Cluster the test starts.
// Each webhook gets every event it selects at least once, exactly once after dedup, in index
// order, with filteredIndex 0…n−1 under its filter.
import { afterEach, describe, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { redisClusterForBlock } from './support/redis-cluster.js'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL, servicesAvailable } from './support/services.js'
import { runWebhookScenario, type Interruption } from './support/webhook-scenario.js'

if (await servicesAvailable('scale-out: webhooks across processes', ['redis'])) {
  describe('webhooks across processes', () => {
    const prefixes: string[] = []
    afterEach(async () => {
      await Promise.all(prefixes.splice(0).map((prefix) => deleteKeysUnder(prefix)))
    })

    const run = (interruption: Interruption) => {
      const keyPrefix = keyPrefixFor('webhooks')
      prefixes.push(keyPrefix)
      return runWebhookScenario({ stores: sharedConfig({ redisUrl: REDIS_URL, keyPrefix }), interruption })
    }

    it('delivers every event once after dedup, in order, with filteredIndex under each filter, through a SIGKILL', async () => {
      await run({ stopped: 'A' })
    })

    // Both killed is the harshest restart: no lease is handed over, each must expire first.
    // (A graceful stop hands its leases over at once; the SIGKILL test above covers a takeover.)
    it('…and through a restart of both processes mid-stream, both SIGKILLed', async () => {
      await run({ stopped: 'both', a: 'kill', b: 'kill' })
    })
  })
}

if (await servicesAvailable('scale-out: webhooks across processes on a Redis Cluster', ['redis-server'])) {
  describe('webhooks across processes on a Redis Cluster', () => {
    const redis = redisClusterForBlock()

    it('delivers every event once after dedup, in order, through a SIGKILL, with leases and cursors on the cluster', async () => {
      const stores = sharedConfig({ redisCluster: redis.nodes, keyPrefix: keyPrefixFor('webhooks-cluster') })
      await runWebhookScenario({ stores, interruption: { stopped: 'A' } })
    })
  })
}
