// When waiting workers (long-polls and sockets alike) look for work again, besides a slow poll.
import { STATUS_EVENT_TYPE, TASK_CREATED_TYPE, type StatusEventData, type TaskCreatedData, type TaskEvent } from '@taskcast/core'

/** How often waiting workers look for work without a notice (a lost broadcast message costs at most this). */
export const WORKER_POLL_MS = 1_000

/** A task that became pending for a worker to take: created with `assign`, or given back. */
export function offersWork(event: TaskEvent): boolean {
  if (event.type === TASK_CREATED_TYPE) return (event.data as TaskCreatedData).assignable === true
  return event.type === STATUS_EVENT_TYPE && (event.data as StatusEventData).status === 'pending'
}
