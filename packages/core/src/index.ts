// @taskcast/core — the engine, its types and storage interfaces, and the in-memory adapters.
// What travels over HTTP is in `@taskcast/core/wire`; what only sibling packages use is in
// `@taskcast/core/internal` (not semver-stable).
export { TaskcastError, TASKCAST_ERROR_CODES, taskNotFound, taskCreatedAgain } from './errors.js'
export type { TaskcastErrorCode, TaskcastErrorOptions } from './errors.js'
export {
  STATUS_EVENT_TYPE,
  TASK_DELETED_TYPE,
  TASK_CREATED_TYPE,
  RESERVED_TYPE_PREFIX,
  TASK_STATUSES,
  SUSPENDED_STATUSES,
  LEVELS,
  SERIES_MODES,
  PERMISSION_SCOPES,
  WEBHOOK_BACKOFFS,
  CLEANUP_TARGETS,
  DEFAULT_LEASE_MS,
} from './types.js'
export type {
  TaskStatus,
  TerminalStatus,
  SuspendedStatus,
  Level,
  SeriesMode,
  SeriesFormat,
  TaskError,
  PermissionScope,
  TaskAuthRule,
  TaskAuthConfig,
  WebhookBackoff,
  RetryConfig,
  WebhookConfig,
  CleanupTarget,
  CleanupRule,
  Task,
  BlockedRequest,
  TaskEvent,
  CreateTaskInput,
  PublishEventInput,
  TransitionPayload,
  EventFilter,
  SinceCursor,
  SubscribeFilter,
  SSEEnvelope,
  StatusEventData,
  TaskCreatedData,
  TaskAssign,
  TaskAssignee,
} from './types.js'
export type { TaskcastHooks, HookName, HookErrorContext } from './hooks.js'
export type { Clock, TimerHandle } from './clock.js'
export type { BroadcastProvider, BroadcastHandler } from './storage/broadcast-provider.js'
export type {
  ShortTermStore,
  AppendExpectation,
  EventDraft,
  LogStart,
  LogTail,
  EventRange,
  TransitionRequest,
  TransitionOutcome,
  ProducerAppend,
} from './storage/short-term-store.js'
export { PRODUCER_RETRY_WINDOW, PRODUCER_ID_PATTERN } from './producer-sequence.js'
export type { ProducerStamp } from './producer-sequence.js'
export type { LongTermStore } from './storage/long-term-store.js'
export type { DeliveryLeaseStore, DeliveryPosition, DeliveryRef, DeliveryAcquireResult, DeliveryExtendResult, DeliveryReleaseResult } from './storage/delivery-lease-store.js'
export { MemoryBroadcastProvider } from './memory/memory-broadcast-provider.js'
export { MemoryShortTermStore } from './memory/memory-short-term-store.js'
export { MemoryLongTermStore } from './memory/memory-long-term-store.js'
export type { MemoryShortTermStoreOptions } from './memory/memory-short-term-store.js'
export { TaskEngine } from './engine/task-engine.js'
export type { TaskEngineOptions, GetEventsOptions, PublishOptions, PreparedSubscription } from './engine/task-engine.js'
export type { ListTasksOptions } from './engine/task-lister.js'
export type { GlobalListener } from './engine/global-feed.js'
export type { TaskFacts } from './engine/task-facts.js'
export type { EngineHealth } from './engine/store-health.js'
export type { GoneReason, SubscriptionHandlers, SubscriptionOptions } from './engine/subscription.js'
export type { LongTermWriterOptions } from './engine/long-term-writer.js'
export { canTransition, isTerminalStatus, isSuspendedStatus } from './state-machine.js'
export type { TransitionCause } from './state-machine.js'
export { MAX_REASON_BYTES, MAX_REQUEST_BYTES } from './validation.js'
export { matchesType, compileFilter, matchesFilter } from './filter.js'
export type { EventPredicate } from './filter.js'
export { assertJsonValue, MAX_JSON_DEPTH } from './json-value.js'
export { TASK_LIST_MAX_LIMIT, TASK_LIST_DEFAULT_LIMIT, TASK_LIST_SOURCES } from './task-list.js'
export type { TaskListQuery, TaskListPage, TaskListSource, TaskIndexQuery, TaskIndexPage } from './task-list.js'
export { workerTakes, WAITING_COUNT_LIMIT } from './worker-match.js'
export type { PullWorkerListing, WorkerIdentity, WorkerListing, WsWorkerListing } from './worker-match.js'
