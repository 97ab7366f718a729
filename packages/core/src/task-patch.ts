// A transition's patch applied to a task: the one rule every short-term store follows.
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
