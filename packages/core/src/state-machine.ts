// Task lifecycle (SPEC §2): which status may follow which, and who may ask for the move.
import type { SuspendedStatus, TaskStatus, TerminalStatus } from './types.js'
import { SUSPENDED_STATUSES } from './types.js'

/**
 * Who asks for a transition: a caller of the API (`transitionTask`, `resolveTask`,
 * `cancelTask`, HTTP), an expired TTL deadline, or the assignment of pending tasks to
 * workers (SPEC §18): `claimTask`, a lapsed lease, a worker lost.
 */
export type TransitionCause = 'api' | 'ttl' | 'worker'

const API: readonly TransitionCause[] = ['api']
const TTL: readonly TransitionCause[] = ['ttl']
const WORKER: readonly TransitionCause[] = ['worker']
const API_OR_TTL: readonly TransitionCause[] = ['api', 'ttl']
const API_OR_WORKER: readonly TransitionCause[] = ['api', 'worker']

/** from → to → the causes that may make that move. A status with no entry is terminal. */
const TRANSITIONS: Record<TaskStatus, Partial<Record<TaskStatus, readonly TransitionCause[]>>> = {
  pending: { running: API, assigned: WORKER, cancelled: API, timeout: TTL },
  // The worker starts the task, or gives it back, through the API; a lapsed lease or a lost
  // worker gives it back too.
  assigned: { running: API_OR_WORKER, pending: API_OR_WORKER, cancelled: API, timeout: TTL },
  running: { completed: API, failed: API, timeout: API_OR_TTL, cancelled: API, paused: API, blocked: API },
  paused: { running: API, cancelled: API, timeout: TTL },
  blocked: { running: API, failed: API, cancelled: API, timeout: TTL },
  completed: {},
  failed: {},
  timeout: {},
  cancelled: {},
}

export function isTerminalStatus(status: TaskStatus): status is TerminalStatus {
  return Object.keys(TRANSITIONS[status]).length === 0
}

/** Whether the task is `paused` or `blocked`: stopped mid-run, neither finished nor taking events. */
export function isSuspendedStatus(status: TaskStatus): status is SuspendedStatus {
  return (SUSPENDED_STATUSES as readonly TaskStatus[]).includes(status)
}

/**
 * Whether `from → to` is allowed for `by` (default: a caller of the API). A move to
 * `timeout` from anything but `running` happens only when a TTL expires; a move into
 * `assigned` only through worker assignment (`claimTask`); from `assigned` the worker moves
 * the task on to `running`, or back to `pending`, through the API.
 */
export function canTransition(from: TaskStatus, to: TaskStatus, options: { by?: TransitionCause } = {}): boolean {
  return TRANSITIONS[from][to]?.includes(options.by ?? 'api') ?? false
}
