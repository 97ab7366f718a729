// Where the authenticated caller lives on a Hono context, and the context of an unauthenticated server.
import type { Context } from 'hono'
import { TaskcastError } from '@taskcast/core'
import type { AuthContext } from './auth-types.js'

/** The context variable the auth middleware sets. */
export const AUTH_VARIABLE = 'auth'

/** Hono `Variables` of an app behind `createAuthMiddleware`: `new Hono<{ Variables: AuthVariables }>()`. */
export interface AuthVariables {
  auth: AuthContext
}

/** What `auth.mode: 'none'` grants: everything. */
export function fullAccess(): AuthContext {
  return { taskIds: '*', scope: ['*'], claims: {} }
}

/**
 * The caller, as set by the auth middleware.
 * @throws TaskcastError `INTERNAL` when the middleware did not run: a wiring bug must not look like access.
 */
export function getAuth(c: Context): AuthContext {
  const auth = c.get(AUTH_VARIABLE) as AuthContext | undefined
  if (!auth) throw new TaskcastError('INTERNAL', 'auth middleware did not run for this route')
  return auth
}
