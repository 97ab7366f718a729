// Who publishes a UI message stream into a task: the engine of an embedded Taskcast, or a server
// SDK client of a standalone one. The server client is described by what this package calls on
// it rather than imported, so that `@taskcast/server-sdk` stays out of this package's
// dependencies (and out of a browser bundle of the transport); a type test checks that
// `TaskcastServerClient` fits it.
import type { PublishEventInput, Task, TaskEngine, TaskEvent, TaskStatus, TransitionPayload } from '@taskcast/core'

/** What `publishUIMessageStream` uses of a `TaskcastServerClient` (`@taskcast/server-sdk`). */
export interface TaskcastServerPublisher {
  getTask(taskId: string): Promise<Task | null>
  transitionTask(taskId: string, status: TaskStatus, payload?: TransitionPayload): Promise<Task>
  /** The idempotent producer of SPEC §19: a retried batch is never stored twice. */
  producer(taskId: string, options?: { lingerMs?: number; maxBatch?: number }): {
    publish(input: PublishEventInput): Promise<TaskEvent>
    close(): Promise<void>
  }
  /** Aborts when the task ends through anyone but this client (SPEC §17). */
  cancellationSignal(taskId: string, options?: { signal?: AbortSignal }): AbortSignal
}

/** A `TaskEngine` (embedded) or a `TaskcastServerClient` (standalone server). */
export type UIMessageStreamPublisher = TaskEngine | TaskcastServerPublisher

/** Tells the two apart by what only the server client has (an `instanceof` fails across copies of a package). */
export function isServerPublisher(publisher: UIMessageStreamPublisher): publisher is TaskcastServerPublisher {
  return typeof (publisher as Partial<TaskcastServerPublisher>).cancellationSignal === 'function'
}
