// Connections: the write connection that never replays a command, the subscriber
// connection that always comes back, and waiting for either to be usable.
import { TaskcastError } from '@taskcast/core'
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
import { parseClusterSeeds } from './cluster-seeds.js'

/** An ioredis client: a single node or a cluster. */
export type RedisClient = Redis | Cluster

/**
 * Options of every connection that writes (SPEC §6: writes are never silently
 * replayed). A command issued while disconnected fails at once instead of waiting in an
 * offline queue, and a command in flight when the connection drops is rejected (it may or
 * may not have run) instead of being sent again after the reconnect.
 */
export const WRITE_CONNECTION_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  // Commands issued in the same tick (concurrent publishes) leave in one write.
  enableAutoPipelining: true,
} as const satisfies RedisOptions

/**
 * {@link WRITE_CONNECTION_OPTIONS} for a `Cluster` opened from `cluster`. The offline queue is
 * off for the cluster, but not for its node connections, which ioredis opens lazily with the
 * first command; and a command whose node connection closed before the reply (it may have
 * run) is not sent again to the node that took over (`retryDelayOnFailover: 0`).
 */
const WRITE_CLUSTER_OPTIONS = {
  enableOfflineQueue: false,
  enableAutoPipelining: true,
  retryDelayOnFailover: 0,
  redisOptions: { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false },
} as const satisfies ClusterOptions

/**
 * Options of the subscriber connection: (UN)SUBSCRIBE is idempotent, so it may wait for
 * the connection and be resent, and subscriptions are restored after a reconnect.
 */
export const SUBSCRIBER_CONNECTION_OPTIONS = {
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
  autoResendUnfulfilledCommands: true,
  autoResubscribe: true,
  lazyConnect: false,
} as const satisfies RedisOptions

/** The cluster-level part of the subscriber's options; each node connection gets {@link SUBSCRIBER_CONNECTION_OPTIONS}. */
const SUBSCRIBER_CLUSTER_OPTIONS = {
  enableOfflineQueue: true,
  autoResubscribe: true,
  lazyConnect: false,
} as const

/** Where an adapter gets Redis from: an instance the caller owns, or a URL it opens itself. */
export interface RedisConnectionOptions {
  /**
   * An existing ioredis client, used as it is and never closed by Taskcast. For writes it
   * should be created with {@link WRITE_CONNECTION_OPTIONS}; Taskcast refuses to send
   * while it is not connected, but cannot stop an instance that resends unanswered
   * commands after a reconnect (`autoResendUnfulfilledCommands`, on by default) from
   * replaying a write.
   */
  redis?: RedisClient
  /** A Redis URL (`redis://…`, `rediss://…`); Taskcast opens the connection and closes it on `close()`. */
  url?: string
  /**
   * Instead of `url`: the seed nodes of a Redis Cluster (`redis://host:port` URLs with the same
   * scheme, user and password); Taskcast opens a `Cluster` client and closes it on `close()`.
   */
  cluster?: readonly string[]
}

/** The initial connection is still being made (or not yet started, with `lazyConnect`). */
const CONNECTING = new Set(['wait', 'connecting', 'connect'])
/** Bound on how long a command waits for the initial connection before failing. */
const INITIAL_CONNECT_WAIT_MS = 10_000

/** Resolves once `client` leaves its initial connecting phase, whichever way it goes. */
function initialConnection(client: RedisClient): Promise<void> {
  if (client.status === 'wait') client.connect().catch(() => {})
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      client.off('ready', done)
      client.off('close', done)
      client.off('end', done)
      resolve()
    }
    const timer = setTimeout(done, INITIAL_CONNECT_WAIT_MS)
    client.on('ready', done)
    client.on('close', done)
    client.on('end', done)
  })
}

/** Resolves when `client` is (again) ready, however long that takes; rejects if it ended. */
export function untilReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  if (client.status === 'end') return Promise.reject(new TaskcastError('STORE_UNAVAILABLE', 'Redis connection closed'))
  if (client.status === 'wait') client.connect().catch(() => {})
  return new Promise<void>((resolve, reject) => {
    const ready = () => {
      client.off('end', end)
      resolve()
    }
    const end = () => {
      client.off('ready', ready)
      reject(new TaskcastError('STORE_UNAVAILABLE', 'Redis connection closed'))
    }
    client.once('ready', ready)
    client.once('end', end)
  })
}

/**
 * A connection used for commands that must not be replayed. Commands are only handed to
 * ioredis while it is connected: during the very first connect they wait for its outcome
 * (at most {@link INITIAL_CONNECT_WAIT_MS}); once a connection was lost, they fail at once
 * with `STORE_UNAVAILABLE` until ioredis has reconnected.
 */
export class WriteConnection {
  readonly client: RedisClient
  private readonly owned: boolean
  private lastError: unknown
  /** Whether the connection was ever ready: only the very first connect is waited for. */
  private connectedOnce: boolean

  constructor(options: RedisConnectionOptions, adapter: string) {
    if (options.cluster !== undefined && (options.url !== undefined || options.redis)) {
      throw new TaskcastError('VALIDATION_ERROR', `${adapter} takes \`cluster\` instead of \`${options.redis ? 'redis' : 'url'}\`, not both`, {
        details: { field: 'cluster' },
      })
    }
    if (options.redis) {
      this.client = options.redis
      this.owned = false
    } else if (options.url !== undefined || options.cluster !== undefined) {
      this.client = options.url !== undefined ? new Redis(options.url, WRITE_CONNECTION_OPTIONS) : openCluster(options.cluster!, WRITE_CLUSTER_OPTIONS)
      this.owned = true
      // Failures surface through the commands; remembering the last one gives them a cause. A
      // cluster's is "Failed to refresh slots cache."; the last node's own error says why.
      this.client.on('error', (error: unknown) => {
        this.lastError = (error as { lastNodeError?: unknown }).lastNodeError ?? error
      })
    } else {
      throw new TaskcastError('VALIDATION_ERROR', `${adapter} needs \`redis\`, \`url\` or \`cluster\``)
    }
    this.connectedOnce = this.client.status === 'ready'
    if (!this.connectedOnce) this.client.once('ready', () => (this.connectedOnce = true))
  }

  /** Throws `STORE_UNAVAILABLE` unless the connection can take a command now. */
  async ready(): Promise<void> {
    if (this.client.status === 'ready') return
    if (!this.connectedOnce && CONNECTING.has(this.client.status)) await initialConnection(this.client)
    // Read again: the status moved on while waiting.
    const status: string = this.client.status
    if (status !== 'ready') {
      throw new TaskcastError('STORE_UNAVAILABLE', `Redis is not connected (${status})`, {
        cause: this.lastError,
      })
    }
  }

  /** Closes the connection if Taskcast opened it. */
  async close(): Promise<void> {
    if (!this.owned) return
    await closeClient(this.client)
  }
}

/** Closes a connection Taskcast owns: politely when connected, at once otherwise. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (client.status === 'end') return
  if (client.status === 'ready') {
    try {
      await client.quit()
      return
    } catch {
      // The connection dropped meanwhile: disconnecting below is all that is left.
    }
  }
  client.disconnect()
}

/** A connection of its own for SUBSCRIBE, with the same server and credentials as `options`. */
export function openSubscriber(options: RedisConnectionOptions): RedisClient {
  if (options.redis instanceof Cluster) {
    const { redisOptions } = options.redis.options
    return options.redis.duplicate([], {
      ...SUBSCRIBER_CLUSTER_OPTIONS,
      redisOptions: { ...redisOptions, ...SUBSCRIBER_CONNECTION_OPTIONS },
    })
  }
  if (options.redis) return options.redis.duplicate(SUBSCRIBER_CONNECTION_OPTIONS)
  if (options.cluster !== undefined) {
    return openCluster(options.cluster, { ...SUBSCRIBER_CLUSTER_OPTIONS, redisOptions: SUBSCRIBER_CONNECTION_OPTIONS })
  }
  return new Redis(options.url!, SUBSCRIBER_CONNECTION_OPTIONS)
}

/** A `Cluster` client from seed URLs: `options`, plus the seeds' credentials and TLS for every node. */
function openCluster(seeds: readonly string[], options: ClusterOptions): Cluster {
  const { startupNodes, nodeOptions } = parseClusterSeeds(seeds)
  return new Cluster(startupNodes, { ...options, redisOptions: { ...options.redisOptions, ...nodeOptions } })
}
