// The options of `serverClient.producer()` (SPEC §19), their defaults merged once, and the one
// bound between them: everything a producer may have to send again stays inside the span of
// seqs the server recognises repeats for.
import { PRODUCER_ID_PATTERN, PRODUCER_RETRY_WINDOW, TaskcastError } from '@taskcast/core'
import { flatUlid } from '@taskcast/core/internal'
import type { BackoffOptions } from '@taskcast/core/wire'

export interface ProducerOptions {
  /**
   * Who publishes: 1–128 printable ASCII characters. Give a stable one (with `epoch: 'claim'`) to
   * have a restarted instance fence the old one off.
   * @defaultValue a random id, new for each producer
   */
  producerId?: string
  /**
   * The producer's epoch, an integer ≥ 0. `'claim'` asks the server for this producer id's stored
   * epoch first and takes the next one, which fences off any older instance (its later writes get
   * `STALE_PRODUCER`).
   * @defaultValue 0
   */
  epoch?: number | 'claim'
  /** How long a published event waits for more to share its request. @defaultValue 5 */
  lingerMs?: number
  /** Events per request at most. @defaultValue 100 */
  maxBatch?: number
  /** UTF-8 bytes of JSON per request at most (a bigger event goes alone). @defaultValue 524_288 */
  maxBatchBytes?: number
  /** Requests sent and not yet stored, at most. @defaultValue 4 */
  maxInFlight?: number
  /** One request's time limit: with no answer by then it counts as lost and goes again. @defaultValue 10_000 */
  requestTimeoutMs?: number
  /**
   * How long a request may go unstored, retries included, before the producer gives up (and
   * fails, see `TaskProducer`).
   * @defaultValue 60_000
   */
  deadlineMs?: number
  /** The backoff between attempts of one request. @defaultValue `{ initialDelayMs: 100, maxDelayMs: 2_000 }` */
  retry?: BackoffOptions
}

export interface ProducerSettings extends Required<Omit<ProducerOptions, 'retry'>> {
  retry: Required<BackoffOptions>
}

const DEFAULTS = {
  lingerMs: 5,
  maxBatch: 100,
  maxBatchBytes: 524_288,
  maxInFlight: 4,
  requestTimeoutMs: 10_000,
  deadlineMs: 60_000,
  retry: { initialDelayMs: 100, maxDelayMs: 2_000 },
} as const

function invalid(message: string, field: string): TaskcastError {
  return new TaskcastError('VALIDATION_ERROR', message, { details: { field } })
}

/**
 * The options with their defaults, checked.
 * @throws TaskcastError `VALIDATION_ERROR` (`details.field`)
 */
export function producerSettings(options: ProducerOptions): ProducerSettings {
  const settings: ProducerSettings = {
    producerId: options.producerId ?? `producer-${flatUlid()}`,
    epoch: options.epoch ?? 0,
    lingerMs: options.lingerMs ?? DEFAULTS.lingerMs,
    maxBatch: options.maxBatch ?? DEFAULTS.maxBatch,
    maxBatchBytes: options.maxBatchBytes ?? DEFAULTS.maxBatchBytes,
    maxInFlight: options.maxInFlight ?? DEFAULTS.maxInFlight,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    deadlineMs: options.deadlineMs ?? DEFAULTS.deadlineMs,
    retry: { ...DEFAULTS.retry, ...options.retry },
  }
  if (!PRODUCER_ID_PATTERN.test(settings.producerId)) {
    throw invalid('producerId must be 1 to 128 printable ASCII characters', 'producerId')
  }
  if (settings.epoch !== 'claim' && !(Number.isSafeInteger(settings.epoch) && settings.epoch >= 0)) {
    throw invalid("epoch must be an integer ≥ 0 or 'claim'", 'epoch')
  }
  for (const field of ['maxBatch', 'maxBatchBytes', 'maxInFlight', 'requestTimeoutMs', 'deadlineMs'] as const) {
    if (!(Number.isSafeInteger(settings[field]) && settings[field] > 0)) throw invalid(`${field} must be an integer > 0`, field)
  }
  if (!(Number.isFinite(settings.lingerMs) && settings.lingerMs >= 0)) throw invalid('lingerMs must be a number ≥ 0', 'lingerMs')
  // A request is resent while it and up to maxInFlight - 1 later ones are unstored; the server
  // recognises a repeat only within its window, so all of them must fit in it.
  if (settings.maxBatch * settings.maxInFlight > PRODUCER_RETRY_WINDOW) {
    throw invalid(`maxBatch × maxInFlight must be at most ${PRODUCER_RETRY_WINDOW}, the seqs the server recognises repeats for`, 'maxBatch')
  }
  return settings
}
