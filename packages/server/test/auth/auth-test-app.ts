// A tiny Hono app wired like the real server: auth middleware, requireScope per route, one onError.
import { Hono } from 'hono'
import { TaskcastError, type TaskcastErrorCode } from '@taskcast/core'
import { createAuthMiddleware, getAuth, requireScope, type AuthOptions } from '../../src/auth/index.js'

const STATUS: Partial<Record<TaskcastErrorCode, 400 | 401 | 403 | 500>> = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
}

export function authTestApp(options: AuthOptions | undefined): Hono {
  const app = new Hono()
  app.onError((error, c) => {
    const code = TaskcastError.isInstance(error) ? error.code : 'INTERNAL'
    return c.json({ error: { code, message: error.message } }, STATUS[code] ?? 500)
  })
  app.use('*', createAuthMiddleware(options))
  app.post('/tasks', requireScope('task:create'), (c) => c.json(getAuth(c), 201))
  app.get('/tasks/:id', requireScope(['event:subscribe', 'task:manage']), (c) => c.json(getAuth(c)))
  app.post('/tasks/:id/events', requireScope('event:publish'), (c) => c.json(getAuth(c), 201))
  return app
}

export async function call(
  app: Hono,
  path: string,
  init: { method?: string; token?: string; authorization?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {}
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`
  if (init.authorization !== undefined) headers.authorization = init.authorization
  const response = await app.request(path, { method: init.method ?? 'GET', headers })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

export function errorCode(body: Record<string, unknown>): unknown {
  return (body.error as { code?: unknown } | undefined)?.code
}
