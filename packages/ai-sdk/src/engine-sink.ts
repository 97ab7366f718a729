// The sink of an embedded publisher: batches of `engine.publishEvents`, one at a time (each is
// one store round trip, stored atomically and in order).
import type { PublishEventInput, TaskEngine } from '@taskcast/core'
import { BATCHES_AHEAD, type BatchOptions } from './batch-options.js'
import type { ChunkSink } from './chunk-sink.js'

export class EngineSink implements ChunkSink {
  private readonly queue: PublishEventInput[] = []
  private draining: Promise<void> | undefined
  private failure: { error: unknown } | undefined

  constructor(
    private readonly engine: TaskEngine,
    private readonly taskId: string,
    private readonly batch: Required<BatchOptions>,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  publish(input: PublishEventInput): Promise<void> | undefined {
    if (this.failure) return undefined
    this.queue.push(input)
    this.draining ??= this.drain()
    return this.queue.length >= this.batch.maxBatch * BATCHES_AHEAD ? this.draining : undefined
  }

  async close(): Promise<void> {
    while (this.draining) await this.draining
    if (this.failure) throw this.failure.error
  }

  /** Publishes until the queue is empty; never rejects (a failure is recorded and reported). */
  private async drain(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.batch.lingerMs))
    try {
      while (this.queue.length > 0 && !this.failure) {
        await this.engine.publishEvents(this.taskId, this.queue.splice(0, this.batch.maxBatch))
      }
    } catch (error) {
      this.failure = { error }
      this.queue.length = 0
      this.onFailure(error)
    }
    this.draining = undefined
  }
}
