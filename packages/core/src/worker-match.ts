// Which pending tasks a worker may take (SPEC §18): the task's type among the worker's types
// (wildcards as in §5), and every tag the task asks for among the worker's tags.
import { TaskcastError } from './errors.js'
import { matchesType } from './filter.js'
import type { Task } from './types.js'
import { assertTaskId, validateTags } from './validation.js'

/**
 * The most waiting tasks `engine.countWaitingTasks` counts (the metrics' gauge): enough to tell a
 * backlog, bounded so that a scrape reads at most this many tasks from the store.
 */
export const WAITING_COUNT_LIMIT = 10_000

/** A worker as it asks for tasks. */
export interface WorkerIdentity {
  /** Same rules as a task id: 1–128 letters, digits, `.`, `_`, `:` or `-`. */
  workerId: string
  /** Task types it runs, with wildcards; absent: any task, typed or not. */
  types?: readonly string[]
  /** What it has (`gpu`, `eu`): it takes a task only when it has every tag the task asks for. */
  tags?: readonly string[]
}

/** A worker waiting in a `GET /workers/pull` long-poll, as `GET /workers` lists it. */
export interface PullWorkerListing extends WorkerIdentity {
  mode: 'pull'
}

/** A worker connected over `GET /workers/ws`, as `GET /workers` lists it. */
export interface WsWorkerListing extends WorkerIdentity {
  mode: 'ws'
  capacity: number
  /** Tasks assigned to it and not started. */
  assigned: number
  /** Tasks it started and that have not ended. */
  running: number
  /** When its socket opened (ms since epoch). */
  connectedAt: number
}

/** A worker connected to some process now (SPEC §18, `GET /workers`). */
export type WorkerListing = PullWorkerListing | WsWorkerListing

export function workerTakes(worker: WorkerIdentity, task: Task): boolean {
  if (task.assign === undefined) return false
  if (worker.types && (task.type === undefined || !matchesType(worker.types, task.type))) return false
  const wanted = task.assign.tags ?? []
  return wanted.every((tag) => worker.tags?.includes(tag) === true)
}

/** @throws TaskcastError `VALIDATION_ERROR` */
export function validateWorkerIdentity(worker: WorkerIdentity): WorkerIdentity {
  assertTaskId(worker.workerId, 'workerId')
  if (worker.types !== undefined) {
    if (!Array.isArray(worker.types) || worker.types.length === 0 || !worker.types.every((type) => typeof type === 'string' && type.length > 0)) {
      throw new TaskcastError('VALIDATION_ERROR', 'types must list one or more task types or patterns', { details: { field: 'types' } })
    }
  }
  if (worker.tags !== undefined) validateTags(worker.tags, 'tags')
  return worker
}
