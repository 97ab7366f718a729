// The task list (SPEC §21): the order every store's task index keeps, the query it answers
// and the opaque cursor that pages through it.
import { TaskcastError } from './errors.js'
import { matchesType } from './filter.js'
import type { Task, TaskStatus } from './types.js'

/** A page holds at most this many tasks. */
export const TASK_LIST_MAX_LIMIT = 500
/** The page size when a query names none. */
export const TASK_LIST_DEFAULT_LIMIT = 50
/**
 * How many index entries a store examines for one page at most. A query whose filters reject
 * most entries (a rare type among many tasks) answers a short page with a cursor rather than
 * walking the whole index in one request.
 */
export const TASK_LIST_SCAN_LIMIT = 5_000

/** Digits of the zero-padded `createdAt` in an index key: ms timestamps up to year 275,760. */
const CREATED_AT_DIGITS = 16

/**
 * A task's place in every task index: `<createdAt, zero-padded>:<id>`. Keys sort like the
 * list reads backwards: a greater key is a newer task (ties by id), so stores keep one sorted
 * structure (a Redis sorted set read by lex range, an SQL index, an array) and page with
 * "keys below the cursor".
 */
export function taskIndexKey(task: Pick<Task, 'createdAt' | 'id'>): string {
  return `${createdAtPrefix(task.createdAt)}:${task.id}`
}

/** The part of an index key that `createdAt` decides. */
export function createdAtPrefix(createdAt: number): string {
  return String(Math.max(0, Math.trunc(createdAt))).padStart(CREATED_AT_DIGITS, '0')
}

/** The `createdAt` an index key holds. */
export function createdAtOfKey(key: string): number {
  return Number(key.slice(0, CREATED_AT_DIGITS))
}

/** The task id an index key holds. */
export function taskIdOfKey(key: string): string {
  return key.slice(CREATED_AT_DIGITS + 1)
}

/** What a store's task index is asked for; every field is already validated. */
export interface TaskIndexQuery {
  /** Tasks in any of these statuses; all statuses when absent. */
  statuses?: readonly TaskStatus[]
  /** Task types, with `matchesType` wildcards; a task without a type never matches. */
  types?: readonly string[]
  /** Exclusive lower bound on `createdAt` (ms). */
  createdAfter?: number
  /** Exclusive upper bound on `createdAt` (ms). */
  createdBefore?: number
  /** 1 … `TASK_LIST_MAX_LIMIT`. */
  limit: number
  /**
   * The index key the previous page ended at: this page holds only keys below it (above it
   * with `oldestFirst`).
   */
  after?: string
  /** Oldest first (keys ascending) instead of newest first: how workers take pending tasks (SPEC §18). */
  oldestFirst?: boolean
  /** Only tasks created with `assign` (offered to workers). */
  assignable?: boolean
}

/** One page of a store's task index. */
export interface TaskIndexPage {
  /** Newest first (ties by id, descending). */
  tasks: Task[]
  /**
   * The key to continue below, or `null` when the index holds nothing further that may match.
   * A page can be short (even empty) and still have a next key, when the store reached
   * `TASK_LIST_SCAN_LIMIT` examined entries before filling it.
   */
  next: string | null
}

/** Whether `task` answers `query`'s filters (the cursor and the limit aside). */
export function matchesTaskQuery(task: Task, query: Omit<TaskIndexQuery, 'limit' | 'after'>): boolean {
  if (query.statuses && !query.statuses.includes(task.status)) return false
  if (query.assignable && task.assign === undefined) return false
  if (query.types && (task.type === undefined || !matchesType(query.types, task.type))) return false
  if (query.createdAfter !== undefined && !(task.createdAt > query.createdAfter)) return false
  if (query.createdBefore !== undefined && !(task.createdAt < query.createdBefore)) return false
  return true
}

/**
 * The inclusive key bounds `query` allows: keys strictly below `below` (the cursor, or the
 * first key past `createdBefore`) and at or above `atLeast` (`createdAfter`).
 */
export function taskIndexBounds(query: TaskIndexQuery): { below?: string; atLeast?: string } {
  let below = query.after
  if (query.createdBefore !== undefined) {
    const limit = createdAtPrefix(query.createdBefore)
    if (below === undefined || limit < below) below = limit
  }
  const atLeast = query.createdAfter === undefined ? undefined : createdAtPrefix(query.createdAfter + 1)
  return { ...(below === undefined ? {} : { below }), ...(atLeast === undefined ? {} : { atLeast }) }
}

/** One end of a range of index keys. */
export interface KeyBound {
  key: string
  inclusive: boolean
}

/**
 * The keys a page may hold, in either direction: the created bounds, narrowed by the cursor
 * (keys below `after` newest first, above it oldest first).
 */
export function taskIndexRange(query: TaskIndexQuery): { lower?: KeyBound; upper?: KeyBound } {
  let lower: KeyBound | undefined =
    query.createdAfter === undefined ? undefined : { key: createdAtPrefix(query.createdAfter + 1), inclusive: true }
  let upper: KeyBound | undefined =
    query.createdBefore === undefined ? undefined : { key: createdAtPrefix(query.createdBefore), inclusive: false }
  const { after } = query
  if (after !== undefined) {
    if (query.oldestFirst) {
      if (lower === undefined || after >= lower.key) lower = { key: after, inclusive: false }
    } else if (upper === undefined || after <= upper.key) {
      upper = { key: after, inclusive: false }
    }
  }
  return { ...(lower && { lower }), ...(upper && { upper }) }
}

/** Where the list is read from: the short-term store's index, or the archive. */
export type TaskListSource = 'live' | 'archive'
export const TASK_LIST_SOURCES: readonly TaskListSource[] = ['live', 'archive']

/** What a caller asks `engine.listTasks` for. */
export interface TaskListQuery {
  status?: readonly TaskStatus[]
  type?: readonly string[]
  createdAfter?: number
  createdBefore?: number
  /** @defaultValue `TASK_LIST_DEFAULT_LIMIT` */
  limit?: number
  /** `nextCursor` of the previous page. */
  cursor?: string
  /** @defaultValue 'live' */
  source?: TaskListSource
}

export interface TaskListPage {
  tasks: Task[]
  /** Pass it as `cursor` for the next page; `null` when this is the last one. */
  nextCursor: string | null
}

const CURSOR_PREFIX = 'c1.'

/** The opaque form of an index key that `GET /tasks` answers as `nextCursor`. */
export function encodeTaskCursor(key: string): string {
  return CURSOR_PREFIX + base64UrlEncode(key)
}

/**
 * The index key a cursor stands for.
 * @throws TaskcastError `VALIDATION_ERROR` (`details.field: 'cursor'`) for anything not made
 * by `encodeTaskCursor`.
 */
export function decodeTaskCursor(cursor: string): string {
  const key = cursor.startsWith(CURSOR_PREFIX) ? base64UrlDecode(cursor.slice(CURSOR_PREFIX.length)) : undefined
  if (key === undefined || !/^\d{16}:./s.test(key)) {
    throw new TaskcastError('VALIDATION_ERROR', 'cursor is not one this server gave out', { details: { field: 'cursor' } })
  }
  return key
}

function base64UrlEncode(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function base64UrlDecode(text: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

/** What `validateTaskListQuery` makes of a `TaskListQuery`. */
export interface ValidatedTaskListQuery extends TaskIndexQuery {
  source: TaskListSource
}

function invalid(field: string, message: string): never {
  throw new TaskcastError('VALIDATION_ERROR', message, { details: { field } })
}

function timestampBound(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    invalid(field, `${field} must be a time in ms since the epoch (a non-negative integer)`)
  }
  return value
}

/**
 * Checks a list query and turns it into what the stores take.
 * @throws TaskcastError `VALIDATION_ERROR` with `details.field` naming the offending field
 */
export function validateTaskListQuery(query: TaskListQuery, isStatus: (value: unknown) => value is TaskStatus): ValidatedTaskListQuery {
  const limit = query.limit ?? TASK_LIST_DEFAULT_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > TASK_LIST_MAX_LIMIT) {
    invalid('limit', `limit must be an integer from 1 to ${TASK_LIST_MAX_LIMIT}`)
  }
  const source = query.source ?? 'live'
  if (!TASK_LIST_SOURCES.includes(source)) invalid('source', `source must be one of ${TASK_LIST_SOURCES.join(', ')}`)
  const validated: ValidatedTaskListQuery = { limit, source }
  if (query.status !== undefined) {
    if (!Array.isArray(query.status) || query.status.length === 0 || !query.status.every(isStatus)) {
      invalid('status', 'status must list one or more task statuses')
    }
    validated.statuses = [...new Set(query.status)]
  }
  if (query.type !== undefined) {
    if (!Array.isArray(query.type) || query.type.length === 0 || !query.type.every((type) => typeof type === 'string' && type.length > 0)) {
      invalid('type', 'type must list one or more task types or patterns')
    }
    validated.types = [...query.type]
  }
  const createdAfter = timestampBound(query.createdAfter, 'createdAfter')
  const createdBefore = timestampBound(query.createdBefore, 'createdBefore')
  if (createdAfter !== undefined) validated.createdAfter = createdAfter
  if (createdBefore !== undefined) validated.createdBefore = createdBefore
  if (query.cursor !== undefined) {
    if (typeof query.cursor !== 'string') invalid('cursor', 'cursor must be a string')
    validated.after = decodeTaskCursor(query.cursor)
  }
  return validated
}
