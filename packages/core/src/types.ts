// The data model shared by every Taskcast package (SPEC §2, §5, §9, §10, §11).

export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed' | 'timeout' | 'cancelled'
export type TerminalStatus = 'completed' | 'failed' | 'timeout' | 'cancelled'
export type Level = 'debug' | 'info' | 'warn' | 'error'
export type SeriesMode = 'keep-all' | 'accumulate' | 'latest'
export type SeriesFormat = 'delta' | 'accumulated'

export interface TaskError {
  code?: string
  message: string
  details?: Record<string, unknown>
}

export type PermissionScope =
  | 'task:create'
  | 'task:manage'
  | 'event:publish'
  | 'event:subscribe'
  | 'event:history'
  | 'webhook:create'
  | '*'

/** Extra constraints a task places on callers, applied after the global auth check (never relaxing it). */
export interface TaskAuthRule {
  match: { scope: PermissionScope[] }
  require: { sub?: string[]; claims?: Record<string, unknown> }
}
export interface TaskAuthConfig {
  rules: TaskAuthRule[]
}

export const WEBHOOK_BACKOFFS = ['fixed', 'linear', 'exponential'] as const
export type WebhookBackoff = (typeof WEBHOOK_BACKOFFS)[number]
export interface RetryConfig {
  /** @defaultValue 3 */
  retries?: number
  /** @defaultValue 'exponential' */
  backoff?: WebhookBackoff
  /** @defaultValue 1000 */
  initialDelayMs?: number
  /** @defaultValue 30000 */
  maxDelayMs?: number
  /** @defaultValue 5000 */
  timeoutMs?: number
}
export interface WebhookConfig {
  url: string
  filter?: EventFilter
  secret?: string
  /** @defaultValue true */
  wrap?: boolean
  retry?: RetryConfig
}

export const CLEANUP_TARGETS = ['events', 'task', 'all'] as const
export type CleanupTarget = (typeof CLEANUP_TARGETS)[number]
export interface CleanupRule {
  name?: string
  match?: { taskTypes?: string[]; status?: TaskStatus[] }
  trigger: { afterMs?: number }
  target: CleanupTarget
  /** Only for `target: 'events'`: which events to delete (all when absent). */
  eventFilter?: { types?: string[]; levels?: Level[]; seriesMode?: SeriesMode[] }
}

export interface Task {
  id: string
  type?: string
  status: TaskStatus
  params?: Record<string, unknown>
  result?: Record<string, unknown>
  error?: TaskError
  metadata?: Record<string, unknown>
  createdAt: number
  updatedAt: number
  completedAt?: number
  /** Seconds; the deadline is `createdAt + ttl * 1000`. */
  ttl?: number
  authConfig?: TaskAuthConfig
  webhooks?: WebhookConfig[]
  cleanup?: { rules: CleanupRule[] }
}

export interface TaskEvent {
  id: string
  taskId: string
  /** 0, 1, 2, … per task with no gaps; assigned by the short-term store. */
  index: number
  timestamp: number
  type: string
  level: Level
  data: unknown
  seriesId?: string
  seriesMode?: SeriesMode
  /** For accumulate events: the field that is concatenated (resolved at publish time). */
  seriesAccField?: string
  /**
   * Set by the store on a `latest` event once a newer event of its series replaced it.
   * The placeholder keeps its place so `filteredIndex` stays stable; it is never delivered.
   */
  superseded?: true
}

export interface CreateTaskInput {
  id?: string
  type?: string
  params?: Record<string, unknown>
  metadata?: Record<string, unknown>
  ttl?: number
  authConfig?: TaskAuthConfig
  webhooks?: WebhookConfig[]
  cleanup?: { rules: CleanupRule[] }
}

export interface PublishEventInput {
  type: string
  /** @defaultValue 'info' */
  level?: Level
  data?: unknown
  seriesId?: string
  seriesMode?: SeriesMode
  seriesAccField?: string
}

export interface TransitionPayload {
  result?: Record<string, unknown>
  error?: TaskError
}

/** Which events a reader wants (SPEC §5), without the resume cursor. */
export interface EventFilter {
  types?: string[]
  levels?: Level[]
  /** @defaultValue true */
  includeStatus?: boolean
}

export interface SinceCursor {
  id?: string
  index?: number
  timestamp?: number
}

export interface SubscribeFilter extends EventFilter {
  /** @defaultValue true */
  wrap?: boolean
  since?: SinceCursor
}

export interface SSEEnvelope {
  filteredIndex: number
  rawIndex: number
  eventId: string
  taskId: string
  type: string
  timestamp: number
  level: Level
  data: unknown
  seriesId?: string
  seriesMode?: SeriesMode
  seriesAccField?: string
  seriesSnapshot?: boolean
}

/** The data of every `taskcast:status` event. */
export interface StatusEventData {
  status: TaskStatus
  previousStatus: TaskStatus
  result?: Record<string, unknown>
  error?: TaskError
}

export const STATUS_EVENT_TYPE = 'taskcast:status'
export const RESERVED_TYPE_PREFIX = 'taskcast:'
/**
 * The type of the message a deletion broadcasts (never stored, never delivered): every
 * process's subscribers of the task end at once.
 */
export const TASK_DELETED_TYPE = 'taskcast:deleted'
export const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'running', 'completed', 'failed', 'timeout', 'cancelled']
export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error']
export const SERIES_MODES: readonly SeriesMode[] = ['keep-all', 'accumulate', 'latest']
export const PERMISSION_SCOPES: readonly PermissionScope[] = [
  'task:create',
  'task:manage',
  'event:publish',
  'event:subscribe',
  'event:history',
  'webhook:create',
  '*',
]
