import { describe, expect, it } from 'vitest'
import { TaskcastError } from '@taskcast/core'
import { createAuthMiddleware, type AuthContext } from '../../src/auth/index.js'
import { authTestApp, call, errorCode } from './auth-test-app.js'

describe('none mode', () => {
  it('grants every scope on every task, also when auth options are absent', async () => {
    for (const app of [authTestApp(undefined), authTestApp({ mode: 'none' })]) {
      const { status, body } = await call(app, '/tasks/anything', {})
      expect([status, body]).toEqual([200, { taskIds: '*', scope: ['*'], claims: {} }])
      expect((await call(app, '/tasks', { method: 'POST' })).status).toBe(201)
    }
  })
})

describe('custom mode', () => {
  const contexts: Record<string, unknown> = {
    'key-admin': { sub: 'admin', taskIds: '*', scope: ['*'], claims: { team: 'core' } },
    'key-reader': { sub: 'reader', taskIds: ['task-1'], scope: ['event:subscribe'] },
    'key-broken': { sub: 'x', taskIds: 'task-1', scope: ['*'] },
    'key-unknown-scope': { taskIds: '*', scope: ['root'] },
    'key-expired': { taskIds: '*', scope: ['*'], expiresAt: Date.now() - 1000 },
  }
  const app = authTestApp({
    mode: 'custom',
    authenticate: async (request) => (contexts[request.headers.get('x-api-key') ?? ''] as AuthContext | undefined) ?? null,
  })
  const withKey = async (key: string, path: string, method = 'GET') => {
    const response = await app.request(path, { method, headers: { 'x-api-key': key } })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  it('uses the context the authenticator returns', async () => {
    const { status, body } = await withKey('key-admin', '/tasks/task-9')
    expect([status, body]).toEqual([200, { sub: 'admin', taskIds: '*', scope: ['*'], claims: { team: 'core' } }])
  })

  it('applies scopes and task ids to a custom context like to a token', async () => {
    const statuses = [
      (await withKey('key-reader', '/tasks/task-1')).status,
      (await withKey('key-reader', '/tasks/task-2')).status,
      (await withKey('key-reader', '/tasks', 'POST')).status,
    ]
    expect(statuses).toEqual([200, 403, 403])
  })

  it('answers 401 when the authenticator returns null', async () => {
    const { status, body } = await withKey('no-such-key', '/tasks/task-1')
    expect([status, errorCode(body)]).toEqual([401, 'UNAUTHORIZED'])
  })

  it('fails closed with 401 when the authenticator returns a malformed or expired context', async () => {
    const statuses = []
    for (const key of ['key-broken', 'key-unknown-scope', 'key-expired']) {
      statuses.push((await withKey(key, '/tasks/task-1')).status)
    }
    expect(statuses).toEqual([401, 401, 401])
  })

  it('lets a TaskcastError thrown by the authenticator through with its code', async () => {
    const throwing = authTestApp({
      mode: 'custom',
      authenticate: async () => {
        throw new TaskcastError('FORBIDDEN', 'banned')
      },
    })
    const { status, body } = await call(throwing, '/tasks/task-1')
    expect([status, errorCode(body)]).toEqual([403, 'FORBIDDEN'])
  })

  it('refuses a custom mode without an authenticate function and an unknown mode', () => {
    const codes = [
      { mode: 'custom' } as never,
      { mode: 'oauth' } as never,
      { mode: 'jwt' } as never,
    ].map((options) => {
      try {
        createAuthMiddleware(options)
        return 'accepted'
      } catch (error) {
        return TaskcastError.isInstance(error) ? error.code : 'other'
      }
    })
    expect(codes).toEqual(['VALIDATION_ERROR', 'VALIDATION_ERROR', 'VALIDATION_ERROR'])
  })
})

describe('wiring guards', () => {
  it('answers 500 rather than granting access when a route reads auth without the middleware', async () => {
    const { Hono } = await import('hono')
    const { getAuth, requireScope } = await import('../../src/auth/index.js')
    const app = new Hono()
    app.onError((error, c) => c.json({ code: TaskcastError.isInstance(error) ? error.code : 'other' }, 500))
    app.get('/tasks/:id', requireScope('event:subscribe'), (c) => c.json(getAuth(c)))
    const response = await app.request('/tasks/task-1')
    expect([response.status, await response.json()]).toEqual([500, { code: 'INTERNAL' }])
  })
})
