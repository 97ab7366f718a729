// Series merging (SPEC §4): which field an accumulate event extends, and the running value.
import { TaskcastError } from './errors.js'
import { isPlainObject } from './json-value.js'
import type { TaskEvent } from './types.js'

const DEFAULT_ACC_FIELDS = ['delta', 'text'] as const

/**
 * The field an accumulate event extends: `seriesAccField` when given, else `delta`,
 * else `text`, decided by the fields the event's data carries.
 * @throws TaskcastError `VALIDATION_ERROR` when the data has no such string field.
 */
export function resolveAccField(data: unknown, seriesAccField: string | undefined): string {
  if (!isPlainObject(data)) {
    throw new TaskcastError('VALIDATION_ERROR', 'an accumulate event needs an object as data')
  }
  if (seriesAccField !== undefined) {
    if (typeof data[seriesAccField] !== 'string') {
      throw new TaskcastError('VALIDATION_ERROR', `data.${seriesAccField} must be a string (seriesAccField)`)
    }
    return seriesAccField
  }
  for (const field of DEFAULT_ACC_FIELDS) if (typeof data[field] === 'string') return field
  throw new TaskcastError(
    'VALIDATION_ERROR',
    'an accumulate event needs a string field "delta" or "text" in data, or seriesAccField naming one',
  )
}

/**
 * The running value after `data`: the event's data with its accumulated field replaced
 * by the concatenation of the series so far. `previous` is the running value before it.
 */
export function accumulate(previous: unknown, data: unknown, field: string): Record<string, unknown> {
  const delta = (data as Record<string, unknown>)[field] as string
  const before = isPlainObject(previous) && typeof previous[field] === 'string' ? (previous[field] as string) : ''
  return { ...(data as Record<string, unknown>), [field]: before + delta }
}

/** Running values of accumulate series while walking a log in index order. */
export class SeriesAccumulator {
  private readonly values = new Map<string, unknown>()

  /** Feeds one event; returns its running value when it is an accumulate event. */
  add(event: TaskEvent): Record<string, unknown> | undefined {
    if (event.seriesMode !== 'accumulate' || event.seriesId === undefined || event.superseded) return undefined
    const field = event.seriesAccField ?? resolveAccField(event.data, undefined)
    const next = accumulate(this.values.get(event.seriesId), event.data, field)
    this.values.set(event.seriesId, next)
    return next
  }

  get(seriesId: string): unknown {
    return this.values.get(seriesId)
  }
}
