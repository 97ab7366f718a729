// Which store an error came from, for `taskcast_store_errors_total{store}`. Errors carry no store
// of their own: it is known from where the engine reports them, or from a failed health check.
import { TaskcastError, type EngineHealth } from '@taskcast/core'

export const STORE_LABELS = ['short-term', 'long-term', 'broadcast', 'unknown'] as const
export type StoreLabel = (typeof STORE_LABELS)[number]

/**
 * The engine's `onUnhandledError` sources whose every error is a store's (see the engine's
 * `reportError` calls): the broadcast after a write, the notices broadcast on a creation and
 * a deletion, and the writer of the archive.
 */
const STORE_BY_SOURCE: ReadonlyMap<string, StoreLabel> = new Map([
  ['broadcast', 'broadcast'],
  ['create', 'broadcast'],
  ['delete', 'broadcast'],
  ['long-term-writer', 'long-term'],
])

/** The store of an error the engine reported; undefined when it is not a store's error. */
export function storeOfReportedError(error: unknown, source: string): StoreLabel | undefined {
  return STORE_BY_SOURCE.get(source) ?? (isStoreUnavailable(error) ? 'unknown' : undefined)
}

export function isStoreUnavailable(error: unknown): boolean {
  return TaskcastError.isInstance(error) && error.code === 'STORE_UNAVAILABLE'
}

/** The stores a health check found not answering. */
export function storesDown(health: EngineHealth): StoreLabel[] {
  const down: StoreLabel[] = []
  if (!health.shortTerm) down.push('short-term')
  if (health.longTerm === false) down.push('long-term')
  return down
}
