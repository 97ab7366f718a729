// Configs for taskcast processes that share one Redis (and optionally one PostgreSQL schema),
// which is what makes several processes one service.
import type { TaskcastConfig } from './taskcast-process.js'

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
