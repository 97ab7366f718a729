// The wire codec of the watching routes (SPEC §21): `GET /tasks` and `GET /events` queries
// <-> URL parameters, for the server and the clients alike. Values are checked by the engine
// (`validateTaskListQuery`); here only what cannot be a value at all is refused.
import { TaskcastError } from './errors.js'
import type { TaskListQuery, TaskListSource } from './task-list.js'
import type { EventFilter, Level, TaskStatus } from './types.js'
import { LEVELS } from './types.js'

function list(value: string): string[] {
  return value.split(',').map((item) => item.trim())
}

/** Digits only; anything else becomes NaN, which the validator refuses naming the field. */
function integer(value: string): number {
  return /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN
}

/** Reads a `GET /tasks` query; unknown parameters are ignored. */
export function parseTaskListParams(params: URLSearchParams): TaskListQuery {
  const query: TaskListQuery = {}
  const status = params.get('status')
  if (status !== null) query.status = list(status) as TaskStatus[]
  const type = params.get('type')
  if (type !== null) query.type = list(type)
  const createdAfter = params.get('createdAfter')
  if (createdAfter !== null) query.createdAfter = integer(createdAfter)
  const createdBefore = params.get('createdBefore')
  if (createdBefore !== null) query.createdBefore = integer(createdBefore)
  const limit = params.get('limit')
  if (limit !== null) query.limit = integer(limit)
  const cursor = params.get('cursor')
  if (cursor !== null) query.cursor = cursor
  const source = params.get('source')
  if (source !== null) query.source = source as TaskListSource
  return query
}

/** Writes a `GET /tasks` query; the inverse of `parseTaskListParams`. */
export function toTaskListSearchParams(query: TaskListQuery): URLSearchParams {
  const params = new URLSearchParams()
  if (query.status !== undefined) params.set('status', query.status.join(','))
  if (query.type !== undefined) params.set('type', query.type.join(','))
  if (query.createdAfter !== undefined) params.set('createdAfter', String(query.createdAfter))
  if (query.createdBefore !== undefined) params.set('createdBefore', String(query.createdBefore))
  if (query.limit !== undefined) params.set('limit', String(query.limit))
  if (query.cursor !== undefined) params.set('cursor', query.cursor)
  if (query.source !== undefined) params.set('source', query.source)
  return params
}

/** What `GET /events` streams: an event filter plus the types of the tasks. */
export interface GlobalStreamFilter extends EventFilter {
  /** Task types, with `matchesType` wildcards; a task without a type never matches. */
  taskTypes?: string[]
}

function fail(field: string, message: string): never {
  throw new TaskcastError('VALIDATION_ERROR', message, { details: { field } })
}

/**
 * Reads a `GET /events` query. `types=` (empty) selects no event type, which leaves status
 * events only — a dashboard's stream.
 */
export function parseGlobalStreamParams(params: URLSearchParams): GlobalStreamFilter {
  const filter: GlobalStreamFilter = {}
  const types = params.get('types')
  if (types !== null) filter.types = types === '' ? [] : list(types)
  const levels = params.get('levels')
  if (levels !== null) {
    const parsed = list(levels)
    for (const level of parsed) {
      if (!(LEVELS as readonly string[]).includes(level)) fail('levels', `levels: "${level}" is not one of ${LEVELS.join(', ')}`)
    }
    filter.levels = parsed as Level[]
  }
  const includeStatus = params.get('includeStatus')
  if (includeStatus !== null) {
    if (!['true', '1', 'false', '0'].includes(includeStatus)) fail('includeStatus', 'includeStatus must be true or false')
    filter.includeStatus = includeStatus === 'true' || includeStatus === '1'
  }
  const taskTypes = params.get('taskTypes')
  if (taskTypes !== null) {
    const parsed = list(taskTypes)
    if (parsed.some((type) => type.length === 0)) fail('taskTypes', 'taskTypes must list task types or patterns')
    filter.taskTypes = parsed
  }
  if (filter.types?.some((type) => type.length === 0)) fail('types', 'types must not hold an empty type')
  return filter
}

/** Writes a `GET /events` query; the inverse of `parseGlobalStreamParams`. */
export function toGlobalStreamSearchParams(filter: GlobalStreamFilter): URLSearchParams {
  const params = new URLSearchParams()
  if (filter.types !== undefined) params.set('types', filter.types.join(','))
  if (filter.levels !== undefined) params.set('levels', filter.levels.join(','))
  if (filter.includeStatus !== undefined) params.set('includeStatus', String(filter.includeStatus))
  if (filter.taskTypes !== undefined) params.set('taskTypes', filter.taskTypes.join(','))
  return params
}
