// Authorisation against the global grant (SPEC §9): the one place scopes and task ids are checked.
import type { MiddlewareHandler } from 'hono'
import { TaskcastError, type PermissionScope } from '@taskcast/core'
import { getAuth } from './auth-context.js'
import type { AuthContext } from './auth-types.js'

/** Whether the caller holds `scope` (or `*`). */
export function hasScope(auth: AuthContext, scope: PermissionScope): boolean {
  return auth.scope.includes('*') || auth.scope.includes(scope)
}

/** Whether the caller may touch `taskId`: exact match, no prefixes or patterns. */
export function canAccessTask(auth: AuthContext, taskId: string): boolean {
  return auth.taskIds === '*' || auth.taskIds.includes(taskId)
}

/**
 * Requires one of `scopes` and, when `taskId` is given, access to that task.
 * @throws TaskcastError `FORBIDDEN`
 */
export function assertAccess(
  auth: AuthContext,
  scopes: PermissionScope | readonly PermissionScope[],
  taskId?: string,
): void {
  const anyOf: readonly PermissionScope[] = typeof scopes === 'string' ? [scopes] : scopes
  if (!anyOf.some((scope) => hasScope(auth, scope))) {
    throw new TaskcastError('FORBIDDEN', `this endpoint needs the ${anyOf.map((s) => `"${s}"`).join(' or ')} scope`)
  }
  if (taskId !== undefined && !canAccessTask(auth, taskId)) {
    throw new TaskcastError('FORBIDDEN', `the token does not grant access to task ${taskId}`)
  }
}

/**
 * Route middleware: the caller needs one of `scopes`, and for a route with an `:id` param,
 * that task id in its `taskIds`. Mount it on the route itself (`app.get('/tasks/:id', requireScope(…), h)`)
 * or under a pattern that declares `:id`, so the param is visible here.
 * @throws TaskcastError `FORBIDDEN`
 */
export function requireScope(scopes: PermissionScope | readonly PermissionScope[]): MiddlewareHandler {
  return async (c, next) => {
    assertAccess(getAuth(c), scopes, c.req.param('id'))
    await next()
  }
}
