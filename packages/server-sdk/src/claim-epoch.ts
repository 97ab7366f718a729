// `epoch: 'claim'`: the stored epoch of a producer id, + 1. The server has no route that reads
// it, but it names it when it refuses a request: a probe stamped with epoch 0 and a seq no
// producer reaches is refused before anything is stored — `STALE_PRODUCER` with
// `details.currentEpoch` when a higher epoch is stored, `SEQUENCE_GAP` when the stored epoch is 0
// or there is none (the producer check comes before the task's status is looked at, so this
// works on a pending task too).
import { TaskcastError, type ProducerStamp } from '@taskcast/core'
import { networkError, sleep } from '@taskcast/core/wire'
import type { ProducerSettings } from './producer-options.js'
import { nextAttemptDelay } from './retry-schedule.js'
import type { StampedAnswer } from './stamped-request.js'

/** The largest seq the wire carries: never the next expected one, nor the first of a stored request. */
const PROBE_SEQ = Number.MAX_SAFE_INTEGER
/** A valid event, so that the probe passes validation and reaches the producer check. */
const PROBE_BODY = JSON.stringify([{ type: 'taskcast-sdk.epoch-probe' }])

type Send = (stamp: ProducerStamp, body: string) => Promise<StampedAnswer>

/**
 * The epoch that fences off every earlier instance of `settings.producerId`: the stored one + 1
 * (1 when none is stored). Network failures and 5xx are retried until the deadline.
 * @throws TaskcastError what refused the probe otherwise (`TASK_NOT_FOUND`, `FORBIDDEN`, …)
 */
export async function claimEpoch(
  send: Send,
  settings: Pick<ProducerSettings, 'producerId' | 'retry' | 'deadlineMs'>,
  signal: AbortSignal,
): Promise<number> {
  const since = Date.now()
  for (let attempts = 1; ; attempts++) {
    let refusal: TaskcastError
    try {
      await send({ id: settings.producerId, epoch: 0, seq: PROBE_SEQ }, PROBE_BODY)
      // Only a server that ignores the Producer-* headers stores the probe.
      throw new TaskcastError('INTERNAL', 'the server stored the epoch probe: it does not support idempotent producers (SPEC §19)', {
        retryable: false,
      })
    } catch (error) {
      refusal = TaskcastError.isInstance(error) ? error : networkError(error)
    }
    const currentEpoch = refusal.details?.currentEpoch
    if (refusal.code === 'STALE_PRODUCER' && typeof currentEpoch === 'number') return currentEpoch + 1
    if (refusal.code === 'SEQUENCE_GAP') return 1
    const delay = refusal.retryable && !signal.aborted ? nextAttemptDelay(settings, attempts, since) : undefined
    if (delay === undefined) throw refusal
    await sleep(delay, signal)
  }
}
