// Authentication of a WebSocket worker (SPEC §18): by the upgrade request's credentials, as any
// request, or, for a client that cannot set headers on a WebSocket (a browser), by the token of
// its hello, checked as if it had come in the Authorization header.
import { TaskcastError } from '@taskcast/core'
import type { Context } from 'hono'
import { createAuthMiddleware } from '../auth/index.js'
import type { AuthContext, AuthOptions } from '../auth/auth-types.js'

export type RequestAuthenticator = (request: Request) => Promise<AuthContext>

/**
 * The auth middleware run on a bare request: the same rules as every route, with no second
 * copy of them. The middleware reads only `c.req.raw` and sets the caller with `c.set`.
 */
export function requestAuthenticator(options: AuthOptions): RequestAuthenticator {
  const middleware = createAuthMiddleware(options)
  return async (request) => {
    let caller: AuthContext | undefined
    const context = { req: { raw: request }, set: (_key: string, value: AuthContext) => (caller = value) }
    await middleware(context as unknown as Context, () => Promise.resolve())
    if (!caller) throw new TaskcastError('INTERNAL', 'the auth middleware set no caller')
    return caller
  }
}

/** The caller a hello's token stands for. @throws TaskcastError `UNAUTHORIZED` */
export async function authenticateToken(authenticate: RequestAuthenticator, url: string, token: string): Promise<AuthContext> {
  let request: Request
  try {
    request = new Request(url, { headers: { authorization: `Bearer ${token}` } })
  } catch {
    throw new TaskcastError('UNAUTHORIZED', 'the token is not a bearer token')
  }
  return authenticate(request)
}
