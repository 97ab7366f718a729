// Configs for taskcast processes that share one Redis, or one Redis Cluster (and optionally one
// PostgreSQL schema), which is what makes several processes one service.
import { afterAll, beforeAll } from 'vitest'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL } from './services.js'
import { TaskcastServer, type TaskcastConfig } from './taskcast-process.js'

/** Where the processes find Redis: one server, or the seed nodes of a Redis Cluster. */
export type SharedRedis =
  | {
      /** Redis for the short-term store. */
      redisUrl: string
      /** Redis for pub/sub, when it is reached another way (through a proxy). @defaultValue redisUrl */
      broadcastUrl?: string
      redisCluster?: never
    }
  | {
      /** Seed node URLs of a Redis Cluster (e.g. `RedisCluster.nodes`), for both adapters. */
      redisCluster: string[]
      redisUrl?: never
      broadcastUrl?: never
    }

export type SharedStores = SharedRedis & {
  keyPrefix: string
  postgres?: { url: string; schema: string }
}

export function sharedConfig(stores: SharedStores): TaskcastConfig {
  const { keyPrefix } = stores
  const [shortTerm, broadcast] =
    stores.redisCluster !== undefined
      ? [{ cluster: stores.redisCluster }, { cluster: stores.redisCluster }]
      : [{ url: stores.redisUrl }, { url: stores.broadcastUrl ?? stores.redisUrl }]
  return {
    adapters: {
      broadcast: { provider: 'redis', ...broadcast, keyPrefix },
      shortTerm: { provider: 'redis', ...shortTerm, keyPrefix },
      ...(stores.postgres && {
        longTerm: { provider: 'postgres', url: stores.postgres.url, schema: stores.postgres.schema, autoMigrate: true },
      }),
    },
  }
}

/** Processes A and B on the shared Redis under a fresh key prefix, for one describe block. */
export interface TwoProcesses {
  readonly a: TaskcastServer
  readonly b: TaskcastServer
  readonly keyPrefix: string
}

/**
 * Starts A and B before the block's tests (one config, a fresh key prefix) and, after them,
 * stops both (a process a test killed is simply gone) and deletes the keys. On the shared Redis
 * unless `redis` says otherwise, read when they start: e.g. `() => ({ redisCluster: cluster.nodes })`
 * for a cluster the block starts first (whose keys go with it, so none are deleted here).
 */
export function twoProcesses(label: string, redis: () => SharedRedis = () => ({ redisUrl: REDIS_URL })): TwoProcesses {
  const keyPrefix = keyPrefixFor(label)
  let a: TaskcastServer | undefined
  let b: TaskcastServer | undefined
  let shared: SharedRedis | undefined
  beforeAll(async () => {
    shared = redis()
    const config = sharedConfig({ ...shared, keyPrefix })
    ;[a, b] = await Promise.all([TaskcastServer.start('A', config), TaskcastServer.start('B', config)])
  })
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    if (shared?.redisUrl !== undefined) await deleteKeysUnder(keyPrefix, shared.redisUrl)
  })
  return {
    get a() {
      return a!
    },
    get b() {
      return b!
    },
    keyPrefix,
  }
}
