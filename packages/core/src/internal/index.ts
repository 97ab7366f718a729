// @taskcast/core/internal — the pieces the other @taskcast packages share with core: not for
// applications, and not covered by semver (they may change in any release).
export { HookRegistry, OBSERVING_HOOKS } from '../hooks.js'
export { systemClock, MAX_TIMER_DELAY_MS } from '../clock.js'
export { withTimeout } from '../with-timeout.js'
export { createIdFactory, flatUlid } from '../ids.js'
export { resolveAccField, accumulate, SeriesAccumulator } from '../series.js'
export { FilteredStream, terminalStatusOf } from '../filtered-stream.js'
export type { FilteredEvent, FilteredStreamOptions } from '../filtered-stream.js'
export { readLog } from '../read-log.js'
export type { ReadOptions, ReadResult } from '../read-log.js'
export { toEnvelope, envelopeJson } from '../envelope.js'
export {
  validateCreateTaskInput,
  isValidatedCreateTaskInput,
  validatePublishEventInput,
  validateTransition,
  validateResolution,
  validateWebhookConfig,
  validateCleanupRule,
  validateEventFilter,
  assertTaskId,
  isTaskStatus,
  isLevel,
} from '../validation.js'
export { isPlainObject } from '../json-value.js'
export { validateProducerStamp, judgeProducerRequest, recordProducerRequest, staleProducer, sequenceGap } from '../producer-sequence.js'
export type { ProducerState, ProducerVerdict } from '../producer-sequence.js'
export { applyTransitionPatch, isStillCurrent } from '../task-patch.js'
export { isCompactedSeries, mergeArchivedSeries, archivedSeriesEvents, archivedPlainEvent } from '../archive-series.js'
export type { ArchivedSeries } from '../archive-series.js'
export {
  taskIndexKey,
  createdAtPrefix,
  createdAtOfKey,
  taskIdOfKey,
  taskIndexBounds,
  matchesTaskQuery,
  TASK_LIST_SCAN_LIMIT,
} from '../task-list.js'
export { taskIndexRange } from '../task-list.js'
export type { KeyBound } from '../task-list.js'
export { validateTags, MAX_TAGS, MAX_TAG_LENGTH, MIN_LEASE_MS, MAX_LEASE_MS } from '../validation.js'
export { taskEndedError } from '../task-ended-error.js'
export type { TaskEnding } from '../task-ended-error.js'
