// The `cluster` option: a Redis Cluster's seed nodes as URLs, turned into what an ioredis
// `Cluster` takes. ioredis gives the credentials of a seed's URL to that seed only, not to the
// nodes it discovers from it, so the seeds must agree on them and they go to every node.
import { TaskcastError } from '@taskcast/core'
import type { RedisOptions } from 'ioredis'

export interface ClusterSeeds {
  startupNodes: { host: string; port: number }[]
  /** The connection settings of every node: user, password, and TLS for `rediss:`. */
  nodeOptions: Pick<RedisOptions, 'username' | 'password' | 'tls'>
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}

function refuse(problem: string): never {
  throw new TaskcastError('VALIDATION_ERROR', problem, { details: { field: 'cluster' } })
}

/**
 * `['redis://:secret@10.0.0.1:7000', …]` → the startup nodes and the settings of every node.
 * The URLs are never echoed: they may hold a password.
 *
 * @throws TaskcastError `VALIDATION_ERROR` with `details.field` `cluster`: an empty list, an
 * entry that is no `redis://` or `rediss://` URL, one that selects a database other than 0
 * (a cluster has no other), or seeds whose scheme, user or password differ.
 */
export function parseClusterSeeds(seeds: readonly string[]): ClusterSeeds {
  if (seeds.length === 0) refuse('cluster must list at least one seed node')
  const urls = seeds.map((seed, i) => {
    const url = parseUrl(seed)
    if (url?.protocol !== 'redis:' && url?.protocol !== 'rediss:') refuse(`cluster[${i}] must be a redis:// or rediss:// URL`)
    if (!['', '/', '/0'].includes(url.pathname)) refuse(`cluster[${i}] selects a database: a Redis Cluster has database 0 only`)
    return url
  })
  const [first] = urls as [URL, ...URL[]]
  urls.forEach((url, i) => {
    if (url.protocol !== first.protocol || url.username !== first.username || url.password !== first.password) {
      refuse(`cluster[${i}] must have the scheme, user and password of cluster[0]: every node is reached with the same ones`)
    }
  })
  return {
    startupNodes: urls.map((url) => ({
      // `[::1]` → `::1`
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? 6379 : Number(url.port),
    })),
    nodeOptions: {
      ...(first.username !== '' && { username: decodeURIComponent(first.username) }),
      ...(first.password !== '' && { password: decodeURIComponent(first.password) }),
      ...(first.protocol === 'rediss:' && { tls: {} }),
    },
  }
}
