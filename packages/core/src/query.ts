// The wire codec for filters: SubscribeFilter + limit + seriesFormat <-> URL query (SPEC §8).
// Written once here and used by the server, the browser client and the server SDK.
import { TaskcastError } from './errors.js'
import type { Level, SeriesFormat, SubscribeFilter } from './types.js'
import { LEVELS } from './types.js'

export interface SubscribeQuery {
  filter: SubscribeFilter
  seriesFormat?: SeriesFormat
  limit?: number
}

function fail(message: string): never {
  throw new TaskcastError('VALIDATION_ERROR', message)
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
}

function bool(name: string, value: string): boolean {
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  return fail(`${name} must be true or false`)
}

function nonNegativeInteger(name: string, value: string): number {
  if (!/^\d{1,15}$/.test(value)) fail(`${name} must be a non-negative integer`)
  return Number(value)
}

/**
 * Reads a subscription from query parameters. Unknown parameters are ignored (cache
 * busters, proxies); known ones with bad values are a `VALIDATION_ERROR`.
 */
export function parseSubscribeQuery(params: URLSearchParams): SubscribeQuery {
  const filter: SubscribeFilter = {}
  const query: SubscribeQuery = { filter }
  const types = params.get('types')
  if (types !== null) filter.types = list(types)
  const levels = params.get('levels')
  if (levels !== null) {
    const parsed = list(levels)
    for (const level of parsed) {
      if (!(LEVELS as readonly string[]).includes(level)) fail(`levels: "${level}" is not one of ${LEVELS.join(', ')}`)
    }
    filter.levels = parsed as Level[]
  }
  const includeStatus = params.get('includeStatus')
  if (includeStatus !== null) filter.includeStatus = bool('includeStatus', includeStatus)
  const wrap = params.get('wrap')
  if (wrap !== null) filter.wrap = bool('wrap', wrap)
  const id = params.get('since.id')
  const index = params.get('since.index')
  const timestamp = params.get('since.timestamp')
  if (id !== null || index !== null || timestamp !== null) {
    filter.since = {}
    if (id !== null) {
      if (id.length === 0) fail('since.id must not be empty')
      filter.since.id = id
    }
    if (index !== null) filter.since.index = nonNegativeInteger('since.index', index)
    if (timestamp !== null) filter.since.timestamp = nonNegativeInteger('since.timestamp', timestamp)
  }
  const seriesFormat = params.get('seriesFormat')
  if (seriesFormat !== null) {
    if (seriesFormat !== 'delta' && seriesFormat !== 'accumulated') fail('seriesFormat must be delta or accumulated')
    query.seriesFormat = seriesFormat
  }
  const limit = params.get('limit')
  if (limit !== null) {
    query.limit = nonNegativeInteger('limit', limit)
    if (query.limit === 0) fail('limit must be at least 1')
  }
  return query
}

/** Writes a subscription as query parameters; the inverse of `parseSubscribeQuery`. */
export function toSubscribeSearchParams(query: SubscribeQuery): URLSearchParams {
  const params = new URLSearchParams()
  const { filter } = query
  if (filter.types !== undefined) params.set('types', filter.types.join(','))
  if (filter.levels !== undefined) params.set('levels', filter.levels.join(','))
  if (filter.includeStatus !== undefined) params.set('includeStatus', String(filter.includeStatus))
  if (filter.wrap !== undefined) params.set('wrap', String(filter.wrap))
  if (filter.since?.id !== undefined) params.set('since.id', filter.since.id)
  if (filter.since?.index !== undefined) params.set('since.index', String(filter.since.index))
  if (filter.since?.timestamp !== undefined) params.set('since.timestamp', String(filter.since.timestamp))
  if (query.seriesFormat !== undefined) params.set('seriesFormat', query.seriesFormat)
  if (query.limit !== undefined) params.set('limit', String(query.limit))
  return params
}
