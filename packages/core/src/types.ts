// The data model shared by every Taskcast package (SPEC §2, §5, §9, §10, §11).

/** Every status a task can have, in lifecycle order (the state machine is in state-machine.ts). */
export const TASK_STATUSES = [
  'pending',
  'assigned',
  'running',
  'paused',
  'blocked',
  'completed',
  'failed',
  'timeout',
  'cancelled',
] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]
/** Statuses a task never leaves. */
export type TerminalStatus = 'completed' | 'failed' | 'timeout' | 'cancelled'
/**
 * Statuses of a task that stopped mid-run, waiting on its producer (`paused`) or on an answer
 * (`blocked`, SPEC §16); its TTL deadline keeps running, its streams stay open.
 */
export const SUSPENDED_STATUSES = ['paused', 'blocked'] as const satisfies readonly TaskStatus[]
export type SuspendedStatus = (typeof SUSPENDED_STATUSES)[number]
export type Level = 'debug' | 'info' | 'warn' | 'error'
export type SeriesMode = 'keep-all' | 'accumulate' | 'latest'
export type SeriesFormat = 'delta' | 'accumulated'

export interface TaskError {
  code?: string
  message: string
  details?: Record<string, unknown>
}

/** Every scope a caller can hold (SPEC §9); `*` holds them all. */
export const PERMISSION_SCOPES = [
  'task:create',
  'task:manage',
  'task:resolve',
  'task:cancel',
  'task:list',
  'event:publish',
  'event:subscribe',
  'event:history',
  'webhook:create',
  'worker:pull',
  '*',
] as const
export type PermissionScope = (typeof PERMISSION_SCOPES)[number]

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
  /** The question a `blocked` task waits on (SPEC §16); only while blocked. */
  blockedRequest?: BlockedRequest
  /** The last answer given to a blocked task (`resolveTask`); any JSON value. */
  resolution?: unknown
  /** The task waits for a worker to take it (SPEC §18); absent: it is never offered. */
  assign?: TaskAssign
  /** The worker holding the task: set on `pending → assigned`, kept while it runs, gone when given back. */
  assignedTo?: TaskAssignee
}

/** How a task is handed to workers (SPEC §18). */
export interface TaskAssign {
  /** A worker takes the task only when it has every one of these tags. */
  tags?: string[]
  /**
   * How long an assigned task may wait for its worker to start it (move it to `running`)
   * before it goes back to `pending` and is offered again. @defaultValue `DEFAULT_LEASE_MS`
   */
  leaseMs?: number
}

export interface TaskAssignee {
  workerId: string
  /** When the task was assigned (ms since epoch); its lease runs from here. */
  at: number
}

/** The lease of an assigned task, when its `assign` names none. */
export const DEFAULT_LEASE_MS = 30_000

/** What a blocked task asks for: `type` says what kind of answer (e.g. 'approval'), `data` the details. */
export interface BlockedRequest {
  type: string
  /** Any JSON value. */
  data?: unknown
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
  /** Hand the task to a worker (SPEC §18): it is offered to `GET /workers/pull` until one takes it. */
  assign?: TaskAssign
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
  /** Only with `completed`. */
  result?: Record<string, unknown>
  /** Only with `failed`, `timeout` or `cancelled`. */
  error?: TaskError
  /** Why the task moves (at most `MAX_REASON_BYTES` of UTF-8); carried in its status event, not stored on the task. */
  reason?: string
  /** Only with `blocked`: the question the task waits on (at most `MAX_REQUEST_BYTES` as JSON). */
  request?: BlockedRequest
  /**
   * The worker making the move (SPEC §18): the task must be assigned to it, else `CONFLICT`
   * (its lease lapsed and the task went back, or to another worker).
   */
  workerId?: string
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
  reason?: string
  /** The question of a move to `blocked`. */
  request?: BlockedRequest
  /** The answer of a resolution (`blocked → running` through `resolveTask`). */
  resolution?: unknown
  /** The worker of a move to `assigned`. */
  workerId?: string
}

export const STATUS_EVENT_TYPE = 'taskcast:status'
export const RESERVED_TYPE_PREFIX = 'taskcast:'
/**
 * The type of the message a deletion broadcasts (never stored, never delivered): every
 * process's subscribers of the task end at once.
 */
export const TASK_DELETED_TYPE = 'taskcast:deleted'
/**
 * The type of the message a creation broadcasts (never stored; index -1): watchers of every
 * task (`GET /events`) learn of a new task before its first event; a task's own subscribers
 * ignore it. Its data is `TaskCreatedData`.
 */
export const TASK_CREATED_TYPE = 'taskcast:created'

/** The data of a `taskcast:created` message: what a watcher of every task needs of a new task. */
export interface TaskCreatedData {
  status: 'pending'
  createdAt: number
  type?: string
  /** The task was created with `assign`: it waits for a worker (SPEC §18). */
  assignable?: true
  /** Carried so that each process can apply the task's rules without reading it; never sent to clients. */
  authConfig?: TaskAuthConfig
}
export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error']
export const SERIES_MODES: readonly SeriesMode[] = ['keep-all', 'accumulate', 'latest']
