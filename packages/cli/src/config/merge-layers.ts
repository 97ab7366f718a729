// Layered config: later layers win key by key (flags > env > file > defaults).
import type { TaskcastConfig } from './config-types.js'
import { isPlainObject } from './schema-kit.js'

/**
 * Keys that together are one setting, under the mapping at `at`: a layer that gives any of the
 * `given` keys removes every `replaced` key from the layers below.
 */
const ONE_SETTING: readonly { at: readonly string[]; given: readonly string[]; replaced: readonly string[] }[] = [
  // JWT key material, and the lower layer's algorithm with it (the upper layer's own, if it gives one, still applies).
  {
    at: ['auth', 'jwt'],
    given: ['secret', 'publicKey', 'publicKeyFile'],
    replaced: ['secret', 'publicKey', 'publicKeyFile', 'algorithm'],
  },
  // Where a Redis adapter connects: one server or a cluster.
  { at: ['adapters', 'broadcast'], given: ['url', 'cluster'], replaced: ['url', 'cluster'] },
  { at: ['adapters', 'shortTerm'], given: ['url', 'cluster'], replaced: ['url', 'cluster'] },
]

/**
 * The keys that belong to one provider of an adapter. A layer that chooses a provider removes the
 * keys of the other providers from the layers below: `--storage sqlite` over a file configured
 * for Redis means SQLite, not a Redis URL left without a use.
 */
const PROVIDER_KEYS: readonly { at: readonly string[]; keys: Record<string, readonly string[]> }[] = [
  { at: ['adapters', 'broadcast'], keys: { redis: ['url', 'cluster', 'keyPrefix'] } },
  {
    at: ['adapters', 'shortTerm'],
    keys: { redis: ['url', 'cluster', 'keyPrefix', 'retentionSeconds'], sqlite: ['path', 'synchronous'] },
  },
  { at: ['adapters', 'longTerm'], keys: { postgres: ['url', 'schema', 'tablePrefix', 'autoMigrate'], sqlite: ['path'] } },
]

/**
 * Mappings merge key by key; lists, functions and scalars replace. Except for the settings made
 * of several keys ({@link ONE_SETTING}): e.g. `TASKCAST_JWT_SECRET` over a file configured for
 * RS256 means HS256 with that secret, and `TASKCAST_REDIS_URL` over a file's `cluster` means that one Redis; and
 * except for a provider's own keys ({@link PROVIDER_KEYS}).
 */
export function mergeLayers(...layers: TaskcastConfig[]): TaskcastConfig {
  let merged: unknown = {}
  for (const layer of layers) {
    for (const { at, given, replaced } of ONE_SETTING) {
      const upper = mappingAt(layer, at)
      if (upper && given.some((key) => upper[key] !== undefined)) merged = withoutKeys(merged, at, replaced)
    }
    for (const { at, keys } of PROVIDER_KEYS) {
      const provider = mappingAt(layer, at)?.provider
      if (typeof provider !== 'string') continue
      const others = Object.entries(keys).flatMap(([owner, owned]) => (owner === provider ? [] : owned))
      merged = withoutKeys(merged, at, others)
    }
    merged = mergeValues(merged, layer)
  }
  return merged as TaskcastConfig
}

function mappingAt(value: unknown, path: readonly string[]): Record<string, unknown> | undefined {
  let node = value
  for (const key of path) node = isPlainObject(node) ? node[key] : undefined
  return isPlainObject(node) ? node : undefined
}

/** A copy of `value` whose mapping at `path` lacks `keys`; `value` itself when there is no such mapping. */
function withoutKeys(value: unknown, path: readonly string[], keys: readonly string[]): unknown {
  if (!isPlainObject(value)) return value
  if (path.length === 0) {
    const out = { ...value }
    for (const key of keys) delete out[key]
    return out
  }
  const [head, ...rest] = path as [string, ...string[]]
  if (!isPlainObject(value[head])) return value
  return { ...value, [head]: withoutKeys(value[head], rest, keys) }
}

function mergeValues(lower: unknown, upper: unknown): unknown {
  if (upper === undefined) return lower
  if (!isPlainObject(lower) || !isPlainObject(upper)) return upper
  const out: Record<string, unknown> = { ...lower }
  for (const [key, value] of Object.entries(upper)) out[key] = mergeValues(lower[key], value)
  return out
}
