// Where the events of a UI message stream go: a queue that publishes them in batches and
// reports the first failure (the task ended under it, a store is down) once.
import type { PublishEventInput } from '@taskcast/core'

export interface ChunkSink {
  /**
   * Queues an event. Returns a promise when the queue is full: the caller waits for it before
   * queueing more. After a failure, events are dropped.
   */
  publish(input: PublishEventInput): Promise<void> | undefined
  /** Resolves once every queued event is stored; rejects with the failure that stopped the sink. */
  close(): Promise<void>
}
