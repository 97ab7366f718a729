// A small validator kit: each check knows the key path it is looking at, so an error names
// exactly one key. Unknown keys are errors, never ignored.
import { isPlainObject } from '@taskcast/core/internal'
import { configError } from './config-error.js'

/** How a layer of configuration names its keys and what its strings may stand for. */
export interface CheckContext {
  /** How to name `path` in a message: `taskcast.config.yaml: port`, `TASKCAST_PORT`, `--port`. */
  describe(path: string): string
  /**
   * Whether a string at `path` may stand for a number or a boolean: true for values that
   * came from `${VAR}` expansion, from environment variables and from flags.
   */
  coerce(path: string): boolean
  /** Extra words for a message about `path`, e.g. `(${REDIS_URL} is not set)`. */
  hint(path: string): string | undefined
}

export type Check<T> = (value: unknown, path: string, ctx: CheckContext) => T

/** Throws the one-line error for `path`. */
export function fail(ctx: CheckContext, path: string, problem: string): never {
  const hint = ctx.hint(path)
  throw configError(ctx.describe(path), hint ? `${problem} ${hint}` : problem, path)
}

/** Joins a key onto a path: `''` + `port` → `port`, `adapters` + `redis` → `adapters.redis`. */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  return path === '' ? key : `${path}.${key}`
}

// Core owns it; re-exported so the config modules keep importing it from the kit.
export { isPlainObject }

/** `a string`, `a list`, `the number 3`: what was found instead, without echoing strings that may be secret. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string'
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'object') return 'a mapping'
  return typeof value
}

/** Like {@link describeValue}, but quotes a short string: where a number or boolean belongs, it is no secret. */
function describeScalar(value: unknown): string {
  return typeof value === 'string' && value !== '' && value.length <= 40 ? JSON.stringify(value) : describeValue(value)
}

export function string(): Check<string> {
  return (value, path, ctx) => {
    if (typeof value !== 'string' || value === '') fail(ctx, path, `must be a non-empty string (got ${describeValue(value)})`)
    return value
  }
}

/** A URL with one of `protocols` (e.g. `['redis:', 'rediss:']`). The value is not echoed: it may hold a password. */
export function url(protocols: readonly string[], description: string): Check<string> {
  return (value, path, ctx) => {
    if (typeof value !== 'string' || value === '') fail(ctx, path, `must be ${description} (got ${describeValue(value)})`)
    let parsed: URL
    try {
      parsed = new URL(value)
    } catch {
      fail(ctx, path, `must be ${description} (the value is not a URL)`)
    }
    if (!protocols.includes(parsed.protocol)) {
      fail(ctx, path, `must be ${description} (got a ${parsed.protocol.replace(/:$/, '')}: URL)`)
    }
    return value
  }
}

export interface NumberRule {
  min?: number
  max?: number
  integer?: boolean
}

export function number(rule: NumberRule = {}): Check<number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = rule
  const expected = `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`
  return (value, path, ctx) => {
    let n = value
    if (typeof value === 'string' && ctx.coerce(path)) {
      n = /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN
    }
    if (typeof n !== 'number' || !Number.isFinite(n)) fail(ctx, path, `must be ${expected} (got ${describeScalar(value)})`)
    if ((integer && !Number.isInteger(n)) || n < min || n > max) fail(ctx, path, `must be ${expected} (got ${n})`)
    return n
  }
}

export function boolean(): Check<boolean> {
  return (value, path, ctx) => {
    if (typeof value === 'string' && ctx.coerce(path)) {
      const text = value.trim().toLowerCase()
      if (text === 'true' || text === '1') return true
      if (text === 'false' || text === '0') return false
    }
    if (typeof value !== 'boolean') fail(ctx, path, `must be true or false (got ${describeScalar(value)})`)
    return value
  }
}

export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  const expected = values.map((v) => `"${v}"`).join(', ')
  return (value, path, ctx) => {
    if (typeof value !== 'string') fail(ctx, path, `must be one of ${expected} (got ${describeValue(value)})`)
    if (!(values as readonly string[]).includes(value)) fail(ctx, path, `must be one of ${expected} (got "${value}")`)
    return value as T
  }
}

/** A list of `item`s; with `atLeastOne` (what an item is, e.g. `seed node`), an empty list is refused. */
export function list<T>(item: Check<T>, rule: { atLeastOne?: string } = {}): Check<T[]> {
  return (value, path, ctx) => {
    if (!Array.isArray(value)) fail(ctx, path, `must be a list (got ${describeValue(value)})`)
    if (rule.atLeastOne !== undefined && value.length === 0) fail(ctx, path, `must list at least one ${rule.atLeastOne} (got an empty list)`)
    return value.map((entry, i) => item(entry, child(path, i), ctx))
  }
}

export function func<T extends (...args: never[]) => unknown>(description: string): Check<T> {
  return (value, path, ctx) => {
    if (typeof value !== 'function') fail(ctx, path, `must be ${description} (got ${describeValue(value)})`)
    return value as T
  }
}

type Shape = Record<string, Check<unknown>>
type FromShape<S extends Shape> = { [K in keyof S]?: S[K] extends Check<infer T> ? T : never }

/**
 * A mapping whose keys are all listed in `shape`; any other key is an error that lists the
 * known ones. Keys are optional unless named in `required`; keys whose value is `undefined` are dropped.
 */
export function object<S extends Shape>(shape: S, options: { required?: (keyof S & string)[] } = {}): Check<FromShape<S>> {
  const known = Object.keys(shape)
  return (value, path, ctx) => {
    if (!isPlainObject(value)) fail(ctx, path, `must be a mapping of keys (got ${describeValue(value)})`)
    for (const key of options.required ?? []) {
      if (value[key] === undefined) fail(ctx, child(path, key), 'is required')
    }
    const out: Record<string, unknown> = {}
    for (const [key, entry] of Object.entries(value)) {
      const check = Object.hasOwn(shape, key) ? shape[key] : undefined
      if (!check) fail(ctx, child(path, key), `is not a known key (known here: ${known.join(', ')})`)
      if (entry === undefined) continue
      out[key] = check(entry, child(path, key), ctx)
    }
    return out as FromShape<S>
  }
}
