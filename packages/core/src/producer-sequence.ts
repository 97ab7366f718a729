// Idempotent producers (SPEC §19): per task and producer, the epoch and the next expected seq,
// checked and updated in the same atomic step as the append. This is the rule for stores that
// keep their state in JavaScript (memory, SQLite); the Redis script follows the same rule.
import { TaskcastError } from './errors.js'

/** Retries are recognised for at least this many of a producer's latest seqs. */
export const PRODUCER_RETRY_WINDOW = 1000

/** A producer id: 1–128 printable ASCII characters (it travels in an HTTP header). */
export const PRODUCER_ID_PATTERN = /^[\x20-\x7e]{1,128}$/

/** What a producer stamps on one publish request: the body's first event takes `seq`. */
export interface ProducerStamp {
  /** 1–128 printable ASCII characters. */
  id: string
  epoch: number
  seq: number
}

/** An accepted request: its first seq, how many events it held, and the index of the first. */
interface AcceptedBatch {
  count: number
  index: number
}

/** What a store keeps per task and producer. */
export interface ProducerState {
  epoch: number
  /** The seq the next new request must start with. */
  next: number
  /** Accepted requests by first seq, oldest first, covering at least the last `PRODUCER_RETRY_WINDOW` seqs. */
  batches: Map<number, AcceptedBatch>
}

/** The answer to a stamped request of `count` events. */
export type ProducerVerdict =
  | { kind: 'append' }
  /** A retry of an accepted request: answer with its events, from index `index`, append nothing. */
  | { kind: 'retry'; index: number }

/**
 * The stamp, checked: `id` matches `PRODUCER_ID_PATTERN`, `epoch` and `seq` are safe integers ≥ 0.
 * @throws TaskcastError `VALIDATION_ERROR` naming the field
 */
export function validateProducerStamp(stamp: unknown): ProducerStamp {
  const { id, epoch, seq } = (typeof stamp === 'object' && stamp !== null ? stamp : {}) as Partial<Record<keyof ProducerStamp, unknown>>
  if (typeof id !== 'string' || !PRODUCER_ID_PATTERN.test(id)) {
    throw new TaskcastError('VALIDATION_ERROR', 'producer id must be 1 to 128 printable ASCII characters', { details: { field: 'producer.id' } })
  }
  for (const [field, value] of [['epoch', epoch], ['seq', seq]] as const) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new TaskcastError('VALIDATION_ERROR', `producer ${field} must be an integer ≥ 0`, { details: { field: `producer.${field}` } })
    }
  }
  return { id, epoch: epoch as number, seq: seq as number }
}

/**
 * Judges a stamped request against the stored state (`undefined`: the producer is new).
 * @throws TaskcastError `STALE_PRODUCER` (`details.currentEpoch`) or `SEQUENCE_GAP` (`details.expectedSeq`)
 */
export function judgeProducerRequest(state: ProducerState | undefined, stamp: ProducerStamp, count: number): ProducerVerdict {
  if (state && stamp.epoch < state.epoch) throw staleProducer(stamp, state.epoch)
  const expected = !state || stamp.epoch > state.epoch ? 0 : state.next
  if (stamp.seq === expected) return { kind: 'append' }
  const earlier = state && stamp.epoch === state.epoch ? state.batches.get(stamp.seq) : undefined
  if (earlier && earlier.count === count) return { kind: 'retry', index: earlier.index }
  throw sequenceGap(stamp, expected)
}

/** The state after appending a stamped request of `count` events at index `index`. */
export function recordProducerRequest(state: ProducerState | undefined, stamp: ProducerStamp, count: number, index: number): ProducerState {
  const kept = state && state.epoch === stamp.epoch ? state : { epoch: stamp.epoch, next: 0, batches: new Map<number, AcceptedBatch>() }
  kept.batches.set(stamp.seq, { count, index })
  kept.next = stamp.seq + count
  // Drop the oldest requests while the rest still cover the window.
  for (const [seq, batch] of kept.batches) {
    if (kept.next - (seq + batch.count) < PRODUCER_RETRY_WINDOW) break
    kept.batches.delete(seq)
  }
  return kept
}

export function staleProducer(stamp: ProducerStamp, currentEpoch: number): TaskcastError {
  return new TaskcastError('STALE_PRODUCER', `producer ${stamp.id} epoch ${stamp.epoch} was fenced off by epoch ${currentEpoch}`, {
    details: { producerId: stamp.id, currentEpoch },
  })
}

/** A request that is neither the next one nor the exact retry of one of the last accepted. */
export function sequenceGap(stamp: ProducerStamp, expectedSeq: number): TaskcastError {
  return new TaskcastError('SEQUENCE_GAP', `producer ${stamp.id} sent seq ${stamp.seq}; the next expected is ${expectedSeq}`, {
    details: { producerId: stamp.id, expectedSeq },
  })
}
