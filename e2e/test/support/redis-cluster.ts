// A Redis Cluster of the scenario's own, for where users outgrow one Redis: three masters on
// free loopback ports (each a PrivateRedis in cluster mode: its own directory, no persistence),
// joined by `redis-cli --cluster create`, stopped by PID and removed afterwards. Which node serves
// a key, and which keys each node holds, are read from the nodes themselves, so a scenario can
// show that its tasks really live on different nodes.
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { pollUntil } from './outbox-archive.js'
import { PrivateRedis } from './private-redis.js'

const run = promisify(execFile)

/** `redis-cli --cluster create` waits for the nodes to agree; this bounds the wait for every node to say so. */
const CLUSTER_OK_TIMEOUT_MS = 10_000

/** A free port for a node's cluster bus: the default (port + 10000) overflows for ephemeral ports. */
async function freeBusPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** One master; a port the kernel handed out twice (client and bus) only costs another try. */
async function startMaster(): Promise<PrivateRedis> {
  for (let attempt = 1; ; attempt++) {
    const busPort = await freeBusPort()
    try {
      return await PrivateRedis.start([
        '--cluster-enabled', 'yes',
        '--cluster-port', String(busPort),
        // Relative to the server's own --dir, a temp dir of its own.
        '--cluster-config-file', 'nodes.conf',
        '--cluster-announce-ip', '127.0.0.1',
      ])
    } catch (error) {
      if (attempt === 3) throw error
    }
  }
}

function nodeClient(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  return redis
}

export class RedisCluster {
  private constructor(private readonly masters: PrivateRedis[]) {}

  /** Starts `masters` masters, shares the 16384 slots among them and waits until each says `cluster_state:ok`. */
  static async start(masters = 3): Promise<RedisCluster> {
    const started = await Promise.allSettled(Array.from({ length: masters }, startMaster))
    const cluster = new RedisCluster(started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])))
    try {
      const failed = started.find((result) => result.status === 'rejected')
      if (failed) throw failed.reason
      const addresses = cluster.masters.map((master) => `127.0.0.1:${master.port}`)
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 })
      await pollUntil('every node reports cluster_state:ok', () => cluster.everyNodeOk(), CLUSTER_OK_TIMEOUT_MS)
      return cluster
    } catch (error) {
      await cluster.destroy()
      throw error
    }
  }

  /** The seed URLs, one per master: what a taskcast config's `cluster` takes. */
  get nodes(): string[] {
    return this.masters.map((master) => master.url)
  }

  /** The URL of the master that serves the slot of `key` (`CLUSTER KEYSLOT`, then the slot ranges of `CLUSTER SLOTS`). */
  async nodeOf(key: string): Promise<string> {
    const redis = nodeClient(this.nodes[0]!)
    try {
      const slot = (await redis.cluster('KEYSLOT', key)) as number
      // Each range: first slot, last slot, then its master (host, port, id…) and any replicas.
      const range = (await redis.cluster('SLOTS')).find(([from, to]) => from <= slot && slot <= to)
      const master = range?.[2]
      if (!master) throw new Error(`no node serves slot ${slot}`)
      return `redis://${master[0]}:${master[1]}`
    } finally {
      redis.disconnect()
    }
  }

  /** The keys under `prefix` that each node holds itself (SCAN on each node, never KEYS), by node URL. */
  async keysByNode(prefix: string): Promise<Map<string, string[]>> {
    const held = new Map<string, string[]>()
    for (const url of this.nodes) {
      const redis = nodeClient(url)
      try {
        const keys: string[] = []
        let cursor = '0'
        do {
          const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
          keys.push(...batch)
          cursor = next
        } while (cursor !== '0')
        held.set(url, keys)
      } finally {
        redis.disconnect()
      }
    }
    return held
  }

  /** Stops every master (by its PID) and removes its directory. */
  async destroy(): Promise<void> {
    await Promise.all(this.masters.map((master) => master.destroy()))
  }

  private async everyNodeOk(): Promise<boolean> {
    const states = await Promise.all(
      this.nodes.map(async (url) => {
        const redis = nodeClient(url)
        try {
          return (await redis.cluster('INFO')) as string
        } finally {
          redis.disconnect()
        }
      }),
    )
    return states.every((info) => info.includes('cluster_state:ok'))
  }
}

/** A Redis Cluster for one describe block: its `nodes` are there once the block's first `beforeAll` has run. */
export interface BlockCluster {
  readonly nodes: string[]
  readonly cluster: RedisCluster
}

/**
 * Starts a 3-master cluster before the block's tests and destroys it after them. Call it before
 * the helpers that start processes on it (`twoProcesses`), so that its `beforeAll` runs first
 * and its `afterAll` last.
 */
export function redisClusterForBlock(): BlockCluster {
  let cluster: RedisCluster | undefined
  beforeAll(async () => {
    cluster = await RedisCluster.start()
  })
  afterAll(async () => {
    await cluster?.destroy()
  })
  return {
    get nodes() {
      return cluster!.nodes
    },
    get cluster() {
      return cluster!
    },
  }
}
