// Task lifecycle (SPEC §2): which status may follow which.
import type { TaskStatus, TerminalStatus } from './types.js'

const TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['running', 'cancelled', 'timeout'],
  running: ['completed', 'failed', 'timeout', 'cancelled'],
  completed: [],
  failed: [],
  timeout: [],
  cancelled: [],
}

export function isTerminalStatus(status: TaskStatus): status is TerminalStatus {
  return TRANSITIONS[status].length === 0
}

/**
 * Whether `from → to` is allowed. `pending → timeout` only happens when a TTL expires,
 * so callers of the public API pass `byTtl: false` and are refused it.
 */
export function canTransition(from: TaskStatus, to: TaskStatus, options: { byTtl?: boolean } = {}): boolean {
  if (from === 'pending' && to === 'timeout' && !options.byTtl) return false
  return TRANSITIONS[from].includes(to)
}
