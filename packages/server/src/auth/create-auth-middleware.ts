// The Hono middleware that authenticates every request and stores the caller on the context.
import type { MiddlewareHandler } from 'hono'
import { TaskcastError } from '@taskcast/core'
import { AUTH_VARIABLE, fullAccess } from './auth-context.js'
import { checkCustomAuthContext } from './auth-claims.js'
import type { AuthContext, AuthOptions } from './auth-types.js'
import { readBearerToken } from './bearer-token.js'
import { createJwtVerifier } from './jwt-verifier.js'

/**
 * Authenticates the request per `options` (SPEC §9) and sets `c.get('auth')` (read it with `getAuth(c)`).
 * Authorisation is `requireScope`'s job.
 *
 * @throws TaskcastError `UNAUTHORIZED` from the handler when the credential is missing or invalid;
 *   `VALIDATION_ERROR` at creation when the options are inconsistent.
 * @example
 * ```ts
 * const app = new Hono()
 * app.use('/tasks/*', createAuthMiddleware({ mode: 'jwt', jwt: { algorithm: 'HS256', secret } }))
 * app.get('/tasks/:id', requireScope(['event:subscribe', 'task:manage']), (c) => c.json(getAuth(c)))
 * ```
 */
export function createAuthMiddleware(options: AuthOptions | undefined): MiddlewareHandler {
  const authenticate = authenticator(options ?? { mode: 'none' })
  return async (c, next) => {
    c.set(AUTH_VARIABLE, await authenticate(c.req.raw))
    await next()
  }
}

function authenticator(options: AuthOptions): (request: Request) => Promise<AuthContext> {
  switch (options.mode) {
    case 'none':
      return () => Promise.resolve(fullAccess())
    case 'jwt': {
      if (typeof options.jwt !== 'object' || options.jwt === null) {
        throw new TaskcastError('VALIDATION_ERROR', 'auth.jwt is required when auth.mode is "jwt"')
      }
      const verify = createJwtVerifier(options.jwt)
      return (request) => verify(readBearerToken(request.headers.get('authorization')))
    }
    case 'custom': {
      const custom = options.authenticate
      if (typeof custom !== 'function') {
        throw new TaskcastError('VALIDATION_ERROR', 'auth.authenticate must be a function when auth.mode is "custom"')
      }
      return async (request) => {
        const result = await custom(request)
        if (result === null || result === undefined) throw new TaskcastError('UNAUTHORIZED', 'request not authenticated')
        const auth = checkCustomAuthContext(result)
        if (auth.expiresAt !== undefined && auth.expiresAt <= Date.now()) {
          throw new TaskcastError('UNAUTHORIZED', 'credential expired')
        }
        return auth
      }
    }
    default:
      throw new TaskcastError(
        'VALIDATION_ERROR',
        `auth.mode must be one of none, jwt, custom (got ${JSON.stringify((options as { mode?: unknown }).mode)})`,
      )
  }
}
