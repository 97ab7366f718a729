// Per-task auth rules (SPEC §9): constraints a task adds on top of the global grant, never relaxing it.
import { TaskcastError, type PermissionScope, type Task } from '@taskcast/core'
import type { AuthContext } from './auth-types.js'
import { hasScope } from './require-scope.js'

/** Structural equality of JSON values; object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const other = b as unknown[]
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]))
  }
  const left = a as Record<string, unknown>
  const right = b as Record<string, unknown>
  const keys = Object.keys(left)
  if (keys.length !== Object.keys(right).length) return false
  return keys.every((key) => Object.hasOwn(right, key) && jsonEqual(left[key], right[key]))
}

/** The first reason the task's rules refuse `auth` for `scope`, or undefined when they allow it. */
function refusal(auth: AuthContext, task: Pick<Task, 'id' | 'authConfig'>, scope: PermissionScope): string | undefined {
  for (const rule of task.authConfig?.rules ?? []) {
    if (!rule.match.scope.includes(scope) && !rule.match.scope.includes('*')) continue
    const { sub, claims } = rule.require
    if (sub !== undefined && (auth.sub === undefined || !sub.includes(auth.sub))) {
      return `task ${task.id} does not allow this subject to use "${scope}"`
    }
    for (const [name, expected] of Object.entries(claims ?? {})) {
      if (!Object.hasOwn(auth.claims, name) || !jsonEqual(auth.claims[name], expected)) {
        return `task ${task.id} requires claim "${name}" for "${scope}"`
      }
    }
  }
  return undefined
}

/**
 * Applies `task.authConfig.rules` for the requested scope. With several scopes (an endpoint that
 * accepts either), the request passes when one scope the caller holds satisfies the rules.
 * Call it after `requireScope` (which checks the task id); a scope the caller lacks never passes here either.
 * @throws TaskcastError `FORBIDDEN`
 */
export function assertTaskRules(
  auth: AuthContext,
  task: Pick<Task, 'id' | 'authConfig'>,
  scopes: PermissionScope | readonly PermissionScope[],
): void {
  const anyOf: readonly PermissionScope[] = typeof scopes === 'string' ? [scopes] : scopes
  let reason: string | undefined
  for (const scope of anyOf) {
    if (!hasScope(auth, scope)) continue
    reason = refusal(auth, task, scope)
    if (reason === undefined) return
  }
  throw new TaskcastError('FORBIDDEN', reason ?? 'the caller holds none of the required scopes')
}

/** Whether the task's rules let `auth` use `scope` (which it holds) on it; for lists, which skip rather than refuse. */
export function taskRulesAllow(auth: AuthContext, task: Pick<Task, 'id' | 'authConfig'>, scope: PermissionScope): boolean {
  return hasScope(auth, scope) && refusal(auth, task, scope) === undefined
}
