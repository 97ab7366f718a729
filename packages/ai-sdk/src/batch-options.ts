// How chunks are grouped into publish requests, with the defaults of the server SDK's producer
// (SPEC §19), so that the engine and the server client batch alike.

export interface BatchOptions {
  /** How long a chunk waits for more to share its request. @defaultValue 5 */
  lingerMs?: number
  /** Chunks per request at most. @defaultValue 100 */
  maxBatch?: number
}

export const DEFAULT_BATCH: Required<BatchOptions> = { lingerMs: 5, maxBatch: 100 }

/**
 * Requests' worth of chunks that may wait to be stored before the stream is read further: a
 * model that streams faster than the store takes it waits rather than filling memory.
 */
export const BATCHES_AHEAD = 4
