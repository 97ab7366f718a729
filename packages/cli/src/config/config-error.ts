// Configuration errors: one line that names the key (or the variable, or the flag) at fault.
import { TaskcastError } from '@taskcast/core'

/**
 * A `VALIDATION_ERROR` whose message is `<where> <problem>`, e.g.
 * `taskcast.config.yaml: adapters.broadcast.provider must be one of "memory", "redis" (got "redsi")`.
 * `details.key` holds the config key path so callers can add hints about it.
 */
export function configError(where: string, problem: string, key?: string): TaskcastError {
  return new TaskcastError('VALIDATION_ERROR', `${where} ${problem}`, key === undefined ? {} : { details: { key } })
}

/** The config key path carried by an error from {@link configError}, if any. */
export function configErrorKey(error: unknown): string | undefined {
  if (!TaskcastError.isInstance(error)) return undefined
  const key = error.details?.key
  return typeof key === 'string' ? key : undefined
}
