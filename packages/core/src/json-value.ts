// Strict JSON checks: data that would not survive JSON.stringify unchanged is refused, not mangled.
import { TaskcastError } from './errors.js'

/**
 * How deeply objects and arrays may nest in any JSON value a client stores (event data, task
 * params and metadata, a result, error details, auth claims). Real payloads stay far below it;
 * what matters is that every value a task holds can be read back by every reader: recursive
 * code on the way (JSON.stringify, drivers, Sentry, the receivers of webhooks) gives out
 * somewhere between a hundred levels (Ruby's JSON parser refuses more than 100 by default) and
 * a few thousand (a JavaScript stack). Stored values travel inside an envelope or a status
 * event, which adds up to three levels: 64 keeps them under 100 everywhere.
 */
export const MAX_JSON_DEPTH = 64

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'number') return String(value)
  if (typeof value !== 'object') return typeof value
  return (value as object).constructor?.name ?? 'object'
}

/**
 * Checks that `value` is plain JSON nested at most `MAX_JSON_DEPTH` levels. The walk never goes
 * deeper than the limit, so no input can exhaust the stack here.
 * @throws TaskcastError `VALIDATION_ERROR` naming the path of the first non-JSON value, or the
 *   path where the nesting passed the limit
 */
export function assertJsonValue(value: unknown, path: string): void {
  checkJson(value, path, 0, new Set())
}

function checkJson(value: unknown, path: string, depth: number, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (Number.isFinite(value)) return
      break
    case 'object': {
      if (value === null) return
      if (seen.has(value)) throw new TaskcastError('VALIDATION_ERROR', `${path} contains a circular reference`)
      if (depth >= MAX_JSON_DEPTH) {
        throw new TaskcastError('VALIDATION_ERROR', `${path} is nested deeper than ${MAX_JSON_DEPTH} levels`, {
          details: { maxDepth: MAX_JSON_DEPTH },
        })
      }
      const proto = Object.getPrototypeOf(value)
      if (Array.isArray(value)) {
        seen.add(value)
        for (let i = 0; i < value.length; i++) checkJson(value[i], `${path}[${i}]`, depth + 1, seen)
        seen.delete(value)
        return
      }
      if (proto === Object.prototype || proto === null) {
        seen.add(value)
        for (const key in value) {
          const child = (value as Record<string, unknown>)[key]
          // JSON drops undefined properties; everything else must be representable.
          if (child !== undefined) checkJson(child, `${path}.${key}`, depth + 1, seen)
        }
        seen.delete(value)
        return
      }
      break
    }
  }
  throw new TaskcastError('VALIDATION_ERROR', `${path} is not a JSON value (${describe(value)})`)
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
