// Input validation shared by the engine and the HTTP server: one place decides what is valid.
import { TaskcastError } from './errors.js'
import { assertJsonValue, isPlainObject } from './json-value.js'
import type {
  BlockedRequest,
  CleanupRule,
  CreateTaskInput,
  EventFilter,
  Level,
  PublishEventInput,
  RetryConfig,
  SeriesMode,
  TaskAuthConfig,
  TaskError,
  TaskStatus,
  TransitionPayload,
  WebhookConfig,
} from './types.js'
import {
  CLEANUP_TARGETS,
  LEVELS,
  PERMISSION_SCOPES,
  RESERVED_TYPE_PREFIX,
  SERIES_MODES,
  TASK_STATUSES,
  WEBHOOK_BACKOFFS,
} from './types.js'

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/
const MAX_TYPE_LENGTH = 256

function fail(message: string): never {
  throw new TaskcastError('VALIDATION_ERROR', message)
}

function assertKnownKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(`${path}.${key} is not a known field`)
  }
}

function object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(value)) fail(`${path} must be an object`)
  assertKnownKeys(value, allowed, path)
  return value
}

function optionalString(value: unknown, path: string, max = MAX_TYPE_LENGTH): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    fail(`${path} must be a non-empty string of at most ${max} characters`)
  }
  return value
}

function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') fail(`${path} must be a boolean`)
  return value
}

function optionalNumber(value: unknown, path: string, { min = 0, integer = false } = {}): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    fail(`${path} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}`)
  }
  return value
}

function jsonObject(value: unknown, path: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (!isPlainObject(value)) fail(`${path} must be an object`)
  assertJsonValue(value, path)
  return value
}

function stringList<T extends string>(value: unknown, path: string, allowed?: readonly T[]): T[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) fail(`${path} must be an array of strings`)
  for (const [i, item] of value.entries()) {
    if (typeof item !== 'string' || item.length === 0) fail(`${path}[${i}] must be a non-empty string`)
    if (allowed && !allowed.includes(item as T)) fail(`${path}[${i}] must be one of ${allowed.join(', ')}`)
  }
  return value as T[]
}

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value)
}

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value)
}

export function assertTaskId(value: unknown, path = 'id'): asserts value is string {
  if (typeof value !== 'string' || !TASK_ID.test(value)) {
    fail(`${path} must be 1–128 characters of letters, digits, '.', '_', ':' or '-', starting with a letter or digit`)
  }
}

export function validateEventFilter(value: unknown, path: string): EventFilter | undefined {
  if (value === undefined) return undefined
  const raw = object(value, path, ['types', 'levels', 'includeStatus'])
  const filter: EventFilter = {}
  const types = stringList(raw.types, `${path}.types`)
  const levels = stringList(raw.levels, `${path}.levels`, LEVELS)
  const includeStatus = optionalBoolean(raw.includeStatus, `${path}.includeStatus`)
  if (types) filter.types = types
  if (levels) filter.levels = levels
  if (includeStatus !== undefined) filter.includeStatus = includeStatus
  return filter
}

function validateRetry(value: unknown, path: string): RetryConfig | undefined {
  if (value === undefined) return undefined
  const raw = object(value, path, ['retries', 'backoff', 'initialDelayMs', 'maxDelayMs', 'timeoutMs'])
  if (raw.backoff !== undefined && !(WEBHOOK_BACKOFFS as readonly string[]).includes(raw.backoff as string)) {
    fail(`${path}.backoff must be one of fixed, linear, exponential`)
  }
  optionalNumber(raw.retries, `${path}.retries`, { integer: true })
  optionalNumber(raw.initialDelayMs, `${path}.initialDelayMs`)
  optionalNumber(raw.maxDelayMs, `${path}.maxDelayMs`)
  optionalNumber(raw.timeoutMs, `${path}.timeoutMs`, { min: 1 })
  return raw as RetryConfig
}

/** Checks the shape of a webhook config; network-level checks (SSRF) are the server's. */
export function validateWebhookConfig(value: unknown, path: string): WebhookConfig {
  const raw = object(value, path, ['url', 'filter', 'secret', 'wrap', 'retry'])
  if (typeof raw.url !== 'string') fail(`${path}.url must be a string`)
  let url: URL
  try {
    url = new URL(raw.url)
  } catch {
    fail(`${path}.url must be an absolute URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${path}.url must use http or https`)
  validateEventFilter(raw.filter, `${path}.filter`)
  optionalString(raw.secret, `${path}.secret`, 4096)
  optionalBoolean(raw.wrap, `${path}.wrap`)
  validateRetry(raw.retry, `${path}.retry`)
  return raw as unknown as WebhookConfig
}

export function validateCleanupRule(value: unknown, path: string): CleanupRule {
  const raw = object(value, path, ['name', 'match', 'trigger', 'target', 'eventFilter'])
  optionalString(raw.name, `${path}.name`)
  if (raw.match !== undefined) {
    const match = object(raw.match, `${path}.match`, ['taskTypes', 'status'])
    stringList(match.taskTypes, `${path}.match.taskTypes`)
    stringList(match.status, `${path}.match.status`, TASK_STATUSES)
  }
  const trigger = object(raw.trigger ?? {}, `${path}.trigger`, ['afterMs'])
  optionalNumber(trigger.afterMs, `${path}.trigger.afterMs`)
  if (!(CLEANUP_TARGETS as readonly string[]).includes(raw.target as string)) {
    fail(`${path}.target must be one of ${CLEANUP_TARGETS.join(', ')}`)
  }
  if (raw.eventFilter !== undefined) {
    const filter = object(raw.eventFilter, `${path}.eventFilter`, ['types', 'levels', 'seriesMode'])
    stringList(filter.types, `${path}.eventFilter.types`)
    stringList(filter.levels, `${path}.eventFilter.levels`, LEVELS)
    stringList(filter.seriesMode, `${path}.eventFilter.seriesMode`, SERIES_MODES)
  }
  return { ...(raw as unknown as CleanupRule), trigger: trigger as CleanupRule['trigger'] }
}

function validateAuthConfig(value: unknown, path: string): TaskAuthConfig | undefined {
  if (value === undefined) return undefined
  const raw = object(value, path, ['rules'])
  if (!Array.isArray(raw.rules)) fail(`${path}.rules must be an array`)
  raw.rules.forEach((rule: unknown, i: number) => {
    const r = object(rule, `${path}.rules[${i}]`, ['match', 'require'])
    const match = object(r.match, `${path}.rules[${i}].match`, ['scope'])
    stringList(match.scope, `${path}.rules[${i}].match.scope`, PERMISSION_SCOPES)
    const require = object(r.require, `${path}.rules[${i}].require`, ['sub', 'claims'])
    stringList(require.sub, `${path}.rules[${i}].require.sub`)
    jsonObject(require.claims, `${path}.rules[${i}].require.claims`)
  })
  return raw as unknown as TaskAuthConfig
}

/**
 * Inputs `validateCreateTaskInput` accepted, so that a caller that had to look at the input
 * first (the server checks webhook URLs) and the engine do not both walk it.
 */
const validCreateInputs = new WeakSet<object>()

/** Whether `input` is an object `validateCreateTaskInput` accepted (and returned). */
export function isValidatedCreateTaskInput(input: unknown): input is CreateTaskInput {
  return typeof input === 'object' && input !== null && validCreateInputs.has(input)
}

const CREATE_FIELDS = ['id', 'type', 'params', 'metadata', 'ttl', 'authConfig', 'webhooks', 'cleanup', 'assign'] as const

/** A worker's or a task's tags: at most this many, each at most `MAX_TAG_LENGTH` characters. */
export const MAX_TAGS = 32
export const MAX_TAG_LENGTH = 64
/** Bounds of `assign.leaseMs`. */
export const MIN_LEASE_MS = 100
export const MAX_LEASE_MS = 24 * 3600 * 1000

/** Tags of a task's `assign` or of a worker; `path` names them in errors. @throws TaskcastError `VALIDATION_ERROR` */
export function validateTags(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || value.length > MAX_TAGS) fail(`${path} must be an array of at most ${MAX_TAGS} tags`)
  for (const tag of value) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH || tag.includes(',')) {
      fail(`${path} must hold non-empty strings of at most ${MAX_TAG_LENGTH} characters, without commas`)
    }
  }
  return value as string[]
}

function validateAssign(value: unknown, path: string): void {
  if (value === undefined) return
  const raw = object(value, path, ['tags', 'leaseMs'])
  if (raw.tags !== undefined) validateTags(raw.tags, `${path}.tags`)
  const lease = raw.leaseMs
  if (lease !== undefined && (typeof lease !== 'number' || !Number.isSafeInteger(lease) || lease < MIN_LEASE_MS || lease > MAX_LEASE_MS)) {
    fail(`${path}.leaseMs must be an integer from ${MIN_LEASE_MS} to ${MAX_LEASE_MS}`)
  }
}

/** @throws TaskcastError `VALIDATION_ERROR` */
export function validateCreateTaskInput(value: unknown): CreateTaskInput {
  const raw = object(value === undefined ? {} : value, 'task', CREATE_FIELDS)
  if (raw.id !== undefined) assertTaskId(raw.id, 'id')
  optionalString(raw.type, 'type')
  jsonObject(raw.params, 'params')
  jsonObject(raw.metadata, 'metadata')
  if (raw.ttl !== undefined && (typeof raw.ttl !== 'number' || !Number.isFinite(raw.ttl) || raw.ttl <= 0)) {
    fail('ttl must be a number of seconds greater than 0')
  }
  validateAuthConfig(raw.authConfig, 'authConfig')
  if (raw.webhooks !== undefined) {
    if (!Array.isArray(raw.webhooks)) fail('webhooks must be an array')
    raw.webhooks.forEach((hook: unknown, i: number) => validateWebhookConfig(hook, `webhooks[${i}]`))
  }
  if (raw.cleanup !== undefined) {
    const cleanup = object(raw.cleanup, 'cleanup', ['rules'])
    if (!Array.isArray(cleanup.rules)) fail('cleanup.rules must be an array')
    cleanup.rules.forEach((rule: unknown, i: number) => validateCleanupRule(rule, `cleanup.rules[${i}]`))
  }
  validateAssign(raw.assign, 'assign')
  validCreateInputs.add(raw)
  return raw as CreateTaskInput
}

const EVENT_FIELDS = ['type', 'level', 'data', 'seriesId', 'seriesMode', 'seriesAccField'] as const

/** @throws TaskcastError `VALIDATION_ERROR` */
export function validatePublishEventInput(value: unknown, path = 'event'): PublishEventInput {
  const raw = object(value, path, EVENT_FIELDS)
  if (typeof raw.type !== 'string' || raw.type.length === 0 || raw.type.length > MAX_TYPE_LENGTH) {
    fail(`${path}.type must be a non-empty string of at most ${MAX_TYPE_LENGTH} characters`)
  }
  if (raw.type.startsWith(RESERVED_TYPE_PREFIX)) fail(`${path}.type may not start with "${RESERVED_TYPE_PREFIX}"`)
  if (raw.level !== undefined && !isLevel(raw.level)) fail(`${path}.level must be one of ${LEVELS.join(', ')}`)
  if (raw.data !== undefined) assertJsonValue(raw.data, `${path}.data`)
  optionalString(raw.seriesId, `${path}.seriesId`)
  if (raw.seriesMode !== undefined && !(SERIES_MODES as readonly string[]).includes(raw.seriesMode as string)) {
    fail(`${path}.seriesMode must be one of ${SERIES_MODES.join(', ')}`)
  }
  if (raw.seriesMode !== undefined && raw.seriesId === undefined) fail(`${path}.seriesMode needs a seriesId`)
  optionalString(raw.seriesAccField, `${path}.seriesAccField`)
  if (raw.seriesAccField !== undefined && raw.seriesMode !== 'accumulate') {
    fail(`${path}.seriesAccField is only meaningful with seriesMode "accumulate"`)
  }
  return raw as unknown as PublishEventInput & { seriesMode?: SeriesMode }
}

function validateTaskError(value: unknown, path: string): TaskError {
  const raw = object(value, path, ['code', 'message', 'details'])
  optionalString(raw.code, `${path}.code`)
  if (typeof raw.message !== 'string') fail(`${path}.message must be a string`)
  jsonObject(raw.details, `${path}.details`)
  return raw as unknown as TaskError
}

/** The longest `reason` a transition takes, in UTF-8 bytes. */
export const MAX_REASON_BYTES = 1024
/** The largest `request` a move to `blocked` takes, in UTF-8 bytes of its JSON. */
export const MAX_REQUEST_BYTES = 64 * 1024

const utf8 = new TextEncoder()

/** Whether `text` takes more than `maxBytes` as UTF-8. */
function overBytes(text: string, maxBytes: number): boolean {
  // No UTF-16 code unit encodes to fewer than one byte, so an overlong text needs no encoding.
  return text.length > maxBytes || utf8.encode(text).byteLength > maxBytes
}

function tooLarge(path: string, maxBytes: number): never {
  throw new TaskcastError('VALIDATION_ERROR', `${path} is larger than ${maxBytes} bytes`, { details: { maxBytes } })
}

function validateReason(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0) fail('reason must be a non-empty string')
  if (overBytes(value, MAX_REASON_BYTES)) tooLarge('reason', MAX_REASON_BYTES)
  return value
}

function validateBlockedRequest(value: unknown): BlockedRequest {
  const raw = object(value, 'request', ['type', 'data'])
  if (typeof raw.type !== 'string' || raw.type.length === 0 || raw.type.length > MAX_TYPE_LENGTH) {
    fail(`request.type must be a non-empty string of at most ${MAX_TYPE_LENGTH} characters`)
  }
  if (raw.data !== undefined) assertJsonValue(raw.data, 'request.data')
  const request: BlockedRequest = raw.data === undefined ? { type: raw.type } : { type: raw.type, data: raw.data }
  if (overBytes(JSON.stringify(request), MAX_REQUEST_BYTES)) tooLarge('request', MAX_REQUEST_BYTES)
  return request
}

/** @throws TaskcastError `VALIDATION_ERROR` */
export function validateTransition(status: unknown, payload: unknown): { status: TaskStatus; payload: TransitionPayload } {
  if (!isTaskStatus(status)) fail(`status must be one of ${TASK_STATUSES.join(', ')}`)
  const raw = object(payload ?? {}, 'payload', ['result', 'error', 'reason', 'request', 'workerId'])
  const result = jsonObject(raw.result, 'result')
  if (result !== undefined && status !== 'completed') fail('result is only accepted with status "completed"')
  let error: TaskError | undefined
  if (raw.error !== undefined) {
    if (status !== 'failed' && status !== 'timeout' && status !== 'cancelled') {
      fail('error is only accepted with status "failed", "timeout" or "cancelled"')
    }
    error = validateTaskError(raw.error, 'error')
  }
  const reason = validateReason(raw.reason)
  let request: BlockedRequest | undefined
  if (raw.request !== undefined) {
    if (status !== 'blocked') fail('request is only accepted with status "blocked"')
    request = validateBlockedRequest(raw.request)
  }
  if (raw.workerId !== undefined) assertTaskId(raw.workerId, 'workerId')
  const workerId = raw.workerId as string | undefined
  return {
    status,
    payload: {
      ...(result && { result }),
      ...(error && { error }),
      ...(reason !== undefined && { reason }),
      ...(request && { request }),
      ...(workerId !== undefined && { workerId }),
    },
  }
}

/**
 * The answer to a blocked task: any JSON value, `null` included, but not nothing.
 * @throws TaskcastError `VALIDATION_ERROR`
 */
export function validateResolution(data: unknown): unknown {
  if (data === undefined) fail('data is required: the answer to the blocked task (any JSON value)')
  assertJsonValue(data, 'data')
  return data
}
