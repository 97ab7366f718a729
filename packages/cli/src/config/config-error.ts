// Configuration errors: one line that names the key (or the variable, or the flag) at fault.
import { TaskcastError } from '@taskcast/core'

/**
 * A `VALIDATION_ERROR` whose message is `<where> <problem>`, e.g.
 * `taskcast.config.yaml: adapters.broadcast.provider must be one of "memory", "redis" (got "redsi")`.
 * `details.key` holds the config key path so callers can add hints about it; `cause` is the
 * error of the package that refused the value, when one did.
 */
export function configError(where: string, problem: string, key?: string, cause?: unknown): TaskcastError {
  return new TaskcastError('VALIDATION_ERROR', `${where} ${problem}`, {
    ...(key !== undefined && { details: { key } }),
    ...(cause !== undefined && { cause }),
  })
}

/** The config key path carried by an error from {@link configError}, if any. */
export function configErrorKey(error: unknown): string | undefined {
  if (!TaskcastError.isInstance(error)) return undefined
  const key = error.details?.key
  return typeof key === 'string' ? key : undefined
}

/**
 * An adapter's refusal of one of its own options (a `VALIDATION_ERROR` with `details.field`, e.g.
 * `keyPrefix`) as the error of the config key it came from, in the adapter's words:
 * `adapters.shortTerm.keyPrefix: keyPrefix must not contain braces: "a{b}"`. Other errors are returned as they are.
 *
 * @param at the config key of the adapter's options, e.g. `adapters.shortTerm`.
 * @param describe how to name the key, when it is not named by its path (a flag, say).
 */
export function adapterOptionError(error: unknown, at: string, describe: (key: string) => string = (key) => key): unknown {
  if (!TaskcastError.isInstance(error) || error.code !== 'VALIDATION_ERROR') return error
  const field = error.details?.field
  if (typeof field !== 'string') return error
  const key = `${at}.${field}`
  return configError(`${describe(key)}:`, error.message, key, error)
}
