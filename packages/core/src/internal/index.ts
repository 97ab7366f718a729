// @taskcast/core/internal — the pieces the other @taskcast packages share with core: not for
// applications, and not covered by semver (they may change in any release).
export { HookRegistry } from '../hooks.js'
export { systemClock, MAX_TIMER_DELAY_MS } from '../clock.js'
export { withTimeout } from '../with-timeout.js'
export { resolveAccField, accumulate, SeriesAccumulator } from '../series.js'
export { FilteredStream, readLog, toEnvelope, envelopeJson, terminalStatusOf } from '../filtered-stream.js'
export type { FilteredEvent, FilteredStreamOptions, ReadOptions, ReadResult } from '../filtered-stream.js'
export {
  validateCreateTaskInput,
  validatePublishEventInput,
  validateTransition,
  validateWebhookConfig,
  validateCleanupRule,
  validateEventFilter,
  assertTaskId,
  isTaskStatus,
  isLevel,
} from '../validation.js'
export { isPlainObject } from '../json-value.js'
