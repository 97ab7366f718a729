// Strict JSON checks: data that would not survive JSON.stringify unchanged is refused, not mangled.
import { TaskcastError } from './errors.js'

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'number') return String(value)
  if (typeof value !== 'object') return typeof value
  return (value as object).constructor?.name ?? 'object'
}

/** @throws TaskcastError `VALIDATION_ERROR` naming the path of the first non-JSON value. */
export function assertJsonValue(value: unknown, path: string, seen: Set<object> = new Set()): void {
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
      const proto = Object.getPrototypeOf(value)
      if (Array.isArray(value)) {
        seen.add(value)
        for (let i = 0; i < value.length; i++) assertJsonValue(value[i], `${path}[${i}]`, seen)
        seen.delete(value)
        return
      }
      if (proto === Object.prototype || proto === null) {
        seen.add(value)
        for (const key in value) {
          const child = (value as Record<string, unknown>)[key]
          // JSON drops undefined properties; everything else must be representable.
          if (child !== undefined) assertJsonValue(child, `${path}.${key}`, seen)
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
