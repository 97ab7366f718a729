// The sink of a server SDK publisher: its idempotent producer (SPEC §19) numbers, batches and
// retries the events, so a batch sent again after a lost answer is never stored twice. This side
// only keeps the number of unstored events bounded.
import type { PublishEventInput } from '@taskcast/core'
import { BATCHES_AHEAD, type BatchOptions } from './batch-options.js'
import type { ChunkSink } from './chunk-sink.js'
import type { TaskcastServerPublisher } from './publisher.js'

type Producer = ReturnType<TaskcastServerPublisher['producer']>

function ignore(): void {}

export class ProducerSink implements ChunkSink {
  private readonly producer: Producer
  /** What `publish` returned for the newest events not known to be stored, oldest first. */
  private readonly unstored: Promise<unknown>[] = []
  private readonly window: number
  private failed = false

  constructor(
    publisher: TaskcastServerPublisher,
    taskId: string,
    batch: Required<BatchOptions>,
    private readonly onFailure: (error: unknown) => void,
  ) {
    this.producer = publisher.producer(taskId, batch)
    this.window = batch.maxBatch * BATCHES_AHEAD
  }

  publish(input: PublishEventInput): Promise<void> | undefined {
    if (this.failed) return undefined
    const stored = this.producer.publish(input)
    // The producer fails every pending publish with its one fatal error: report it once.
    stored.catch((error: unknown) => {
      if (this.failed) return
      this.failed = true
      this.onFailure(error)
    })
    this.unstored.push(stored)
    // Events are stored in publish order, so waiting for the oldest one is waiting for room.
    if (this.unstored.length > this.window) return this.unstored.shift()!.then(ignore, ignore)
    return undefined
  }

  close(): Promise<void> {
    return this.producer.close()
  }
}
