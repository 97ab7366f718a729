// The headers that stamp a publish request of an idempotent producer (SPEC §19): written by the
// server SDK's producer, read by the server, defined here once.
import { TaskcastError } from '../errors.js'
import { validateProducerStamp, type ProducerStamp } from '../producer-sequence.js'

export const PRODUCER_ID_HEADER = 'Producer-Id'
export const PRODUCER_EPOCH_HEADER = 'Producer-Epoch'
export const PRODUCER_SEQ_HEADER = 'Producer-Seq'
/** For CORS: a browser may send them too. */
export const PRODUCER_HEADERS = [PRODUCER_ID_HEADER, PRODUCER_EPOCH_HEADER, PRODUCER_SEQ_HEADER] as const

export function producerHeaders(stamp: ProducerStamp): Record<string, string> {
  return {
    [PRODUCER_ID_HEADER]: stamp.id,
    [PRODUCER_EPOCH_HEADER]: String(stamp.epoch),
    [PRODUCER_SEQ_HEADER]: String(stamp.seq),
  }
}

const DECIMAL = /^\d{1,16}$/

/**
 * The stamp a request carries, or `undefined` when it carries none of the three headers.
 * @throws TaskcastError `VALIDATION_ERROR` when only some are given, or one is malformed
 */
export function producerStampFromHeaders(header: (name: string) => string | undefined): ProducerStamp | undefined {
  const [id, epoch, seq] = PRODUCER_HEADERS.map((name) => header(name))
  const given = [id, epoch, seq].filter((value) => value !== undefined).length
  if (given === 0) return undefined
  if (given < 3) {
    throw new TaskcastError('VALIDATION_ERROR', `${PRODUCER_HEADERS.join(', ')} go together: give all three or none`)
  }
  for (const [name, value] of [
    [PRODUCER_EPOCH_HEADER, epoch],
    [PRODUCER_SEQ_HEADER, seq],
  ] as const) {
    if (!DECIMAL.test(value!)) {
      throw new TaskcastError('VALIDATION_ERROR', `${name} must be an integer ≥ 0 (got ${JSON.stringify(value)})`, { details: { field: name } })
    }
  }
  return validateProducerStamp({ id, epoch: Number(epoch), seq: Number(seq) })
}
