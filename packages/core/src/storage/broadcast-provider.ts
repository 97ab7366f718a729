// Broadcast layer: tells every process that new events of a task exist.
import type { TaskEvent } from '../types.js'
import type { WorkerListing } from '../worker-match.js'

export type BroadcastHandler = (event: TaskEvent) => void

/**
 * Fans events out to live subscribers, possibly across processes.
 *
 * Guarantees the engine relies on: `publish` resolves once the event is handed to the
 * transport; handlers of one task are called in the order events were published by
 * this process. Delivery may be at-most-once (Redis pub/sub): subscribers treat a
 * message as a hint and fill index gaps from the short-term store, so an adapter may
 * drop messages but must never alter them.
 */
export interface BroadcastProvider {
  /** Sends `event` to every subscriber of `taskId`, in every process. */
  publish(taskId: string, event: TaskEvent): Promise<void>
  /**
   * Optional: `publish` of each of `events` (one task's, in index order) in turn, sent at once:
   * one message for the batch where the transport allows, instead of one per event.
   */
  publishEvents?(taskId: string, events: readonly TaskEvent[]): Promise<void>
  /**
   * Registers `handler` for live events of `taskId`. Returns a function that removes
   * it; calling it twice is harmless. A throwing handler must not affect the others.
   *
   * A lossy transport calls `onResync` once the subscription is established, and again
   * each time it is re-established after a disconnect: messages published before that may
   * never arrive, so the subscriber reads what it missed from the store. An adapter that
   * cannot lose messages (memory) may never call it.
   */
  subscribe(taskId: string, handler: BroadcastHandler, onResync?: () => void): () => void
  /**
   * Optional: registers `handler` for the live events of every task (`GET /events`, SPEC
   * §21), in every process, including deletion messages (`TASK_DELETED_TYPE`); returns a
   * function that removes it. Costs publishers nothing extra: no second message per event.
   * At-most-once like `subscribe`, with no catch-up: the global stream is live only.
   */
  subscribeAll?(handler: BroadcastHandler): () => void
  /**
   * Optional, with `countElsewhere`: how this process answers other processes asking how many
   * subscribers a task has here (`count` is called per question; nothing is written per
   * connect).
   */
  serveSubscriberCounts?(count: (taskId: string) => number): void
  /**
   * Optional: the sum of the counts every *other* process sharing the transport serves for
   * `taskId` (0 when there is none), answered within about `timeoutMs`; a process that does
   * not answer in time is left out.
   */
  countElsewhere?(taskId: string, timeoutMs: number): Promise<number>
  /**
   * Optional, with `workersElsewhere`: how this process answers other processes asking which
   * workers are connected here (`list` is called per question).
   */
  serveWorkers?(list: () => WorkerListing[]): void
  /**
   * Optional: the workers every *other* process sharing the transport serves, concatenated,
   * answered within about `timeoutMs`; a process that does not answer in time is left out.
   */
  workersElsewhere?(timeoutMs: number): Promise<WorkerListing[]>
  /** Releases connections; subscriptions end. */
  close(): Promise<void>
}
