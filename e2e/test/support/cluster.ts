// Configs for taskcast processes that share one Redis (and optionally one PostgreSQL schema),
// which is what makes several processes one service.
import { afterAll, beforeAll } from 'vitest'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL } from './services.js'
import { TaskcastServer, type TaskcastConfig } from './taskcast-process.js'

export interface SharedStores {
  /** Redis for the short-term store. */
  redisUrl: string
  /** Redis for pub/sub, when it is reached another way (through a proxy). @defaultValue redisUrl */
  broadcastUrl?: string
  keyPrefix: string
  postgres?: { url: string; schema: string }
}

export function sharedConfig(stores: SharedStores): TaskcastConfig {
  return {
    adapters: {
      broadcast: { provider: 'redis', url: stores.broadcastUrl ?? stores.redisUrl, keyPrefix: stores.keyPrefix },
      shortTerm: { provider: 'redis', url: stores.redisUrl, keyPrefix: stores.keyPrefix },
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
 * stops both (a process a test killed is simply gone) and deletes the keys.
 */
export function twoProcesses(label: string): TwoProcesses {
  const keyPrefix = keyPrefixFor(label)
  let a: TaskcastServer | undefined
  let b: TaskcastServer | undefined
  beforeAll(async () => {
    const config = sharedConfig({ redisUrl: REDIS_URL, keyPrefix })
    ;[a, b] = await Promise.all([TaskcastServer.start('A', config), TaskcastServer.start('B', config)])
  })
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    await deleteKeysUnder(keyPrefix)
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
