// One task, as `publishUIMessageStream` sees it through either kind of publisher: read it, move
// it, publish into it, and hear when it ends through anyone else.
import type { Task, TaskStatus, TransitionPayload } from '@taskcast/core'
import type { BatchOptions } from './batch-options.js'
import type { ChunkSink } from './chunk-sink.js'
import { engineEndSignal } from './engine-end-signal.js'
import { EngineSink } from './engine-sink.js'
import { ProducerSink } from './producer-sink.js'
import { isServerPublisher, type UIMessageStreamPublisher } from './publisher.js'

export interface TaskPort {
  getTask(): Promise<Task | null>
  transition(status: TaskStatus, payload?: TransitionPayload): Promise<Task>
  openSink(batch: Required<BatchOptions>, onFailure: (error: unknown) => void): ChunkSink
  /** Aborts when the task ends through anyone else, until `release` aborts. */
  endSignal(release: AbortSignal): AbortSignal
}

export function taskPort(publisher: UIMessageStreamPublisher, taskId: string): TaskPort {
  if (isServerPublisher(publisher)) {
    return {
      getTask: () => publisher.getTask(taskId),
      transition: (status, payload) => publisher.transitionTask(taskId, status, payload),
      openSink: (batch, onFailure) => new ProducerSink(publisher, taskId, batch, onFailure),
      endSignal: (release) => publisher.cancellationSignal(taskId, { signal: release }),
    }
  }
  return {
    getTask: () => publisher.getTask(taskId),
    transition: (status, payload) => publisher.transitionTask(taskId, status, payload),
    openSink: (batch, onFailure) => new EngineSink(publisher, taskId, batch, onFailure),
    endSignal: (release) => engineEndSignal(publisher, taskId, release),
  }
}
