// A Redis Cluster instead of one Redis, from TASKCAST_REDIS_CLUSTER: the binary on a cluster of
// the test's own (one node owning every slot, which refuses cross-slot scripts like any cluster),
// and a seed node that is no cluster at all. Three masters, and two processes on them, are e2e's
// (e2e/test/one-service-on-cluster.test.ts).
import { RedisShortTermStore } from '@taskcast/redis'
import { afterAll, describe, expect, it } from 'vitest'
import { PrivateRedis, privateRedisAvailable, startSingleNodeCluster } from '../../redis/test/redis.js'
import { roundTrip } from './helpers/http.js'
import { runId } from './helpers/services.js'
import { lines, runTaskcast, spawnTaskcast, tempProject } from './helpers/taskcast-process.js'

const LOOPBACK = ['-p', '0', '--host', '127.0.0.1']

if (await privateRedisAvailable('cli on a Redis Cluster')) {
  describe('TASKCAST_REDIS_CLUSTER', () => {
    const servers: PrivateRedis[] = []
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.destroy()))
    })

    it('runs both Redis adapters on the cluster, over the file\'s single-Redis URL', async () => {
      const node = await startSingleNodeCluster()
      servers.push(node)
      const keyPrefix = `taskcast-test:cli:${runId()}:`
      // The file's URL answers nothing: the start only succeeds if the variable replaced it.
      const dir = await tempProject({
        'taskcast.config.yaml': `adapters:\n  shortTerm: { provider: redis, url: "redis://127.0.0.1:1", keyPrefix: "${keyPrefix}" }\n  broadcast: { keyPrefix: "${keyPrefix}" }\n`,
      })
      const proc = spawnTaskcast({ cwd: dir, args: LOOPBACK, env: { TASKCAST_REDIS_CLUSTER: node.url } })
      const url = await proc.listening
      expect(lines(proc.stdout())[0]).toContain(` broadcast=redis-cluster(${node.url}) shortTerm=redis-cluster(${node.url}) longTerm=none `)

      const taskId = await roundTrip(url)
      const store = new RedisShortTermStore({ cluster: [node.url], keyPrefix })
      try {
        expect((await store.getTask(taskId))?.status).toBe('completed')
        expect((await store.getEvents(taskId)).map((event) => event.type)).toEqual(['taskcast:status', 'llm.delta', 'llm.delta', 'taskcast:status'])
      } finally {
        await store.close()
      }
      expect((await proc.stop()).code).toBe(0)
    })

    it('refuses to start on a seed node that is a Redis without cluster mode', async () => {
      const standalone = await PrivateRedis.start()
      servers.push(standalone)
      const result = await runTaskcast({ args: LOOPBACK, env: { TASKCAST_REDIS_CLUSTER: standalone.url } })
      expect(result.stderr).toBe(
        `taskcast: cannot reach Redis Cluster at ${standalone.url} (adapters.shortTerm.cluster): ERR This instance has cluster support disabled\n`,
      )
      expect(result.code).toBe(1)
    })
  })
}
