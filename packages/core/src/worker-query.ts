// The wire codec of `GET /workers/pull` (SPEC §18) <-> URL parameters, for the server and the
// server SDK alike.
import { TaskcastError } from './errors.js'
import type { WorkerIdentity } from './worker-match.js'

/** The longest a pull may wait for a task. */
export const MAX_PULL_TIMEOUT_MS = 60_000
/** How long a pull waits when it names no timeout. */
export const DEFAULT_PULL_TIMEOUT_MS = 30_000

export interface WorkerPull extends WorkerIdentity {
  /** ms, 0 … `MAX_PULL_TIMEOUT_MS`; 0 answers at once. @defaultValue `DEFAULT_PULL_TIMEOUT_MS` */
  timeoutMs?: number
}

function list(value: string): string[] {
  return value.split(',').map((item) => item.trim())
}

/**
 * Reads a pull; the worker's fields are checked by the engine (`claimTask`).
 * @throws TaskcastError `VALIDATION_ERROR` for a missing workerId or a bad timeout
 */
export function parseWorkerPullParams(params: URLSearchParams): Required<Pick<WorkerPull, 'timeoutMs'>> & WorkerPull {
  const workerId = params.get('workerId')
  if (workerId === null) throw new TaskcastError('VALIDATION_ERROR', 'workerId is required', { details: { field: 'workerId' } })
  const pull: WorkerPull & { timeoutMs: number } = { workerId, timeoutMs: DEFAULT_PULL_TIMEOUT_MS }
  const types = params.get('types')
  if (types !== null) pull.types = list(types)
  const tags = params.get('tags')
  if (tags !== null) pull.tags = tags === '' ? [] : list(tags)
  const timeout = params.get('timeout')
  if (timeout !== null) {
    const ms = /^\d{1,6}$/.test(timeout) ? Number(timeout) : Number.NaN
    if (!(ms <= MAX_PULL_TIMEOUT_MS)) {
      throw new TaskcastError('VALIDATION_ERROR', `timeout must be 0 to ${MAX_PULL_TIMEOUT_MS} ms`, { details: { field: 'timeout' } })
    }
    pull.timeoutMs = ms
  }
  return pull
}

/** Writes a pull; the inverse of `parseWorkerPullParams`. */
export function toWorkerPullSearchParams(pull: WorkerPull): URLSearchParams {
  const params = new URLSearchParams({ workerId: pull.workerId })
  if (pull.types !== undefined) params.set('types', pull.types.join(','))
  if (pull.tags !== undefined) params.set('tags', pull.tags.join(','))
  if (pull.timeoutMs !== undefined) params.set('timeout', String(pull.timeoutMs))
  return params
}
