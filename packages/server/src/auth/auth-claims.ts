// Turns verified token claims (or a custom authenticator's answer) into an AuthContext.
// Claims are validated, never cast: a malformed grant is a 401, never a default of full access.
import { PERMISSION_SCOPES, TaskcastError, type PermissionScope } from '@taskcast/core'
import { isPlainObject } from '@taskcast/core/internal'
import type { AuthContext } from './auth-types.js'

function reject(message: string): never {
  throw new TaskcastError('UNAUTHORIZED', message)
}


/** `'*'` or an array of non-empty strings. */
export function parseTaskIds(value: unknown): string[] | '*' {
  if (value === '*') return '*'
  if (!Array.isArray(value)) reject('token claim "taskIds" must be "*" or an array of task ids')
  for (const id of value) {
    if (typeof id !== 'string' || id.length === 0) reject('token claim "taskIds" must contain only non-empty strings')
  }
  return [...(value as string[])]
}

/** An array of known scopes; a space-separated string (OAuth style) is not accepted. */
export function parseScope(value: unknown): PermissionScope[] {
  if (!Array.isArray(value)) reject('token claim "scope" must be an array of scopes')
  for (const scope of value) {
    if (!(PERMISSION_SCOPES as readonly unknown[]).includes(scope)) {
      reject(`token claim "scope" has an unknown scope; known: ${PERMISSION_SCOPES.join(', ')}`)
    }
  }
  return [...(value as PermissionScope[])]
}

/** The AuthContext of a verified JWT payload. */
export function authContextFromClaims(claims: Record<string, unknown>): AuthContext {
  if (claims.sub !== undefined && typeof claims.sub !== 'string') reject('token claim "sub" must be a string')
  if (claims.exp !== undefined && typeof claims.exp !== 'number') reject('token claim "exp" must be a number')
  const auth: AuthContext = {
    taskIds: parseTaskIds(claims.taskIds),
    scope: parseScope(claims.scope),
    claims,
  }
  if (typeof claims.sub === 'string') auth.sub = claims.sub
  if (typeof claims.exp === 'number') auth.expiresAt = claims.exp * 1000
  return auth
}

/** Re-validates what a custom authenticator returned: a broken authenticator fails closed. */
export function checkCustomAuthContext(value: unknown): AuthContext {
  if (!isPlainObject(value)) reject('custom authenticator returned something other than an AuthContext')
  if (value.sub !== undefined && typeof value.sub !== 'string') reject('custom auth context "sub" must be a string')
  if (value.claims !== undefined && !isPlainObject(value.claims)) reject('custom auth context "claims" must be an object')
  if (value.expiresAt !== undefined && (typeof value.expiresAt !== 'number' || !Number.isFinite(value.expiresAt))) {
    reject('custom auth context "expiresAt" must be a number (ms since epoch)')
  }
  const auth: AuthContext = {
    taskIds: parseTaskIds(value.taskIds),
    scope: parseScope(value.scope),
    claims: (value.claims as Record<string, unknown> | undefined) ?? {},
  }
  if (value.sub !== undefined) auth.sub = value.sub as string
  if (value.expiresAt !== undefined) auth.expiresAt = value.expiresAt as number
  return auth
}
