// When a producer sends a failed request again: the shared backoff per attempt, and never once
// its deadline has passed.
import { backoffDelay } from '@taskcast/core/wire'
import type { ProducerSettings } from './producer-options.js'

/**
 * The wait before the next attempt of a request that has failed `attempts` times since it was
 * first sent at `since` (epoch ms), or `undefined` when that attempt would start past the deadline.
 */
export function nextAttemptDelay(
  settings: Pick<ProducerSettings, 'retry' | 'deadlineMs'>,
  attempts: number,
  since: number,
  now = Date.now(),
): number | undefined {
  const delay = backoffDelay(attempts - 1, settings.retry)
  return now + delay - since > settings.deadlineMs ? undefined : delay
}
