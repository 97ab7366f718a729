// Layered config: later layers win key by key (flags > env > file > defaults).
import type { JwtConfig, TaskcastConfig } from './config-types.js'
import { isPlainObject } from './schema-kit.js'

const KEY_MATERIAL = ['secret', 'publicKey', 'publicKeyFile'] as const

/**
 * Mappings merge key by key; lists, functions and scalars replace. One exception: JWT key
 * material is a single setting, so a layer that gives `secret`, `publicKey` or
 * `publicKeyFile` drops the other two from the layers below (and their `algorithm` when the
 * upper layer does not give one), e.g. `TASKCAST_JWT_SECRET` over a file configured for RS256.
 */
export function mergeLayers(...layers: TaskcastConfig[]): TaskcastConfig {
  let merged: TaskcastConfig = {}
  for (const layer of layers) {
    const upperJwt = layer.auth?.jwt
    if (upperJwt && KEY_MATERIAL.some((key) => upperJwt[key] !== undefined) && merged.auth?.jwt) {
      const lowerJwt: JwtConfig = { ...merged.auth.jwt }
      for (const key of KEY_MATERIAL) delete lowerJwt[key]
      if (upperJwt.algorithm === undefined) delete lowerJwt.algorithm
      merged = { ...merged, auth: { ...merged.auth, jwt: lowerJwt } }
    }
    merged = mergeValues(merged, layer) as TaskcastConfig
  }
  return merged
}

function mergeValues(lower: unknown, upper: unknown): unknown {
  if (upper === undefined) return lower
  if (!isPlainObject(lower) || !isPlainObject(upper)) return upper
  const out: Record<string, unknown> = { ...lower }
  for (const [key, value] of Object.entries(upper)) out[key] = mergeValues(lower[key], value)
  return out
}
