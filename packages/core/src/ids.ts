// Ids: ULIDs, monotonic within the process, drawn from a pooled random source.
import { monotonicFactory } from 'ulid'
import { pooledRandom } from './engine/random-pool.js'

/** A ULID factory: `(now) => id`, each id greater than the previous one from the same factory. */
export function createIdFactory(): (now?: number) => string {
  return monotonicFactory(pooledRandom())
}

const shared = createIdFactory()

/**
 * A new ULID as one flat string. A ULID is built by concatenation, which V8 keeps as a tree of
 * small pieces until something flattens it; an id held for a long time by something there are
 * many of (an idle connection) would hold the whole tree for its life.
 */
export function flatUlid(now?: number): string {
  return Array.from(shared(now)).join('')
}
