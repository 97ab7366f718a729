// A transition's compare-and-set and its patch applied to a task: the rules every short-term
// store follows.
import type { TransitionRequest } from './storage/short-term-store.js'
import type { Task } from './types.js'

/**
 * `task` with `patch` applied: a field present with the value `undefined` is removed (as
 * `blockedRequest` is when a task leaves `blocked`), every other one is set. Returns a new
 * object; neither argument is changed.
 */
export function applyTransitionPatch(task: Task, patch: TransitionRequest['patch']): Task {
  const patched: Task = { ...task, ...patch }
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) delete (patched as unknown as Record<string, unknown>)[field]
  }
  return patched
}

/** Whether `task` is still what the transition's caller read: its status and, when given, its assignment. */
export function isStillCurrent(task: Task, request: Pick<TransitionRequest, 'from' | 'fromAssignedAt'>): boolean {
  if (task.status !== request.from) return false
  return request.fromAssignedAt === undefined || task.assignedTo?.at === request.fromAssignedAt
}
