import { describe, expect, it } from 'vitest'
import { TaskcastError, type Task, type TaskAuthRule } from '@taskcast/core'
import { assertTaskRules, type AuthContext } from '../../src/auth/index.js'

function task(rules: TaskAuthRule[] | undefined): Task {
  return { id: 'task-1', status: 'running', createdAt: 0, updatedAt: 0, ...(rules && { authConfig: { rules } }) }
}

function caller(overrides: Partial<AuthContext> = {}): AuthContext {
  return { sub: 'alice', taskIds: '*', scope: ['*'], claims: { sub: 'alice', org: 'acme', roles: ['a', 'b'] }, ...overrides }
}

/** 'ok' or the error code assertTaskRules throws. */
function outcome(auth: AuthContext, t: Task, scope: Parameters<typeof assertTaskRules>[2]): string {
  try {
    assertTaskRules(auth, t, scope)
    return 'ok'
  } catch (error) {
    if (!TaskcastError.isInstance(error)) throw error
    return error.code
  }
}

describe('per-task auth rules', () => {
  it('allows everything the global grant allows when the task has no rules', () => {
    expect(outcome(caller(), task(undefined), 'event:subscribe')).toBe('ok')
  })

  it('requires the subject to be listed for a rule matching the requested scope', () => {
    const t = task([{ match: { scope: ['event:subscribe'] }, require: { sub: ['alice', 'bob'] } }])
    expect([
      outcome(caller(), t, 'event:subscribe'),
      outcome(caller({ sub: 'mallory' }), t, 'event:subscribe'),
      outcome(caller({ sub: undefined }), t, 'event:subscribe'),
    ]).toEqual(['ok', 'FORBIDDEN', 'FORBIDDEN'])
  })

  it('ignores rules whose match.scope does not contain the requested scope', () => {
    const t = task([{ match: { scope: ['task:manage'] }, require: { sub: ['bob'] } }])
    expect([outcome(caller(), t, 'event:subscribe'), outcome(caller(), t, 'task:manage')]).toEqual(['ok', 'FORBIDDEN'])
  })

  it('applies a rule matching "*" to every requested scope', () => {
    const t = task([{ match: { scope: ['*'] }, require: { sub: ['bob'] } }])
    expect([outcome(caller(), t, 'event:publish'), outcome(caller({ sub: 'bob' }), t, 'event:history')]).toEqual([
      'FORBIDDEN',
      'ok',
    ])
  })

  it('requires each listed claim to equal the token claim as JSON', () => {
    const t = task([{ match: { scope: ['event:subscribe'] }, require: { claims: { org: 'acme', roles: ['a', 'b'] } } }])
    expect([
      outcome(caller(), t, 'event:subscribe'),
      outcome(caller({ claims: { org: 'acme', roles: ['b', 'a'] } }), t, 'event:subscribe'),
      outcome(caller({ claims: { org: 'other', roles: ['a', 'b'] } }), t, 'event:subscribe'),
      outcome(caller({ claims: { roles: ['a', 'b'] } }), t, 'event:subscribe'),
      outcome(caller({ claims: { org: 'acme', roles: ['a', 'b', 'c'] } }), t, 'event:subscribe'),
    ]).toEqual(['ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'])
  })

  it('compares object claims regardless of key order and never by loose equality', () => {
    const t = task([{ match: { scope: ['*'] }, require: { claims: { tenant: { id: 7, region: 'eu' }, level: 1 } } }])
    expect([
      outcome(caller({ claims: { tenant: { region: 'eu', id: 7 }, level: 1 } }), t, 'task:manage'),
      outcome(caller({ claims: { tenant: { region: 'eu', id: '7' }, level: 1 } }), t, 'task:manage'),
      outcome(caller({ claims: { tenant: { region: 'eu', id: 7, extra: 1 }, level: 1 } }), t, 'task:manage'),
      outcome(caller({ claims: { tenant: { region: 'eu', id: 7 }, level: true } }), t, 'task:manage'),
    ]).toEqual(['ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'])
  })

  it('requires every applicable rule to pass', () => {
    const t = task([
      { match: { scope: ['event:subscribe'] }, require: { sub: ['alice'] } },
      { match: { scope: ['event:subscribe'] }, require: { claims: { org: 'other' } } },
    ])
    expect(outcome(caller(), t, 'event:subscribe')).toBe('FORBIDDEN')
  })

  it('never relaxes the global grant: a scope the caller lacks is refused even when rules pass', () => {
    const t = task([{ match: { scope: ['task:manage'] }, require: { sub: ['alice'] } }])
    expect(outcome(caller({ scope: ['event:subscribe'] }), t, 'task:manage')).toBe('FORBIDDEN')
  })

  it('passes an endpoint with several scopes when one scope the caller holds satisfies the rules', () => {
    const t = task([{ match: { scope: ['event:subscribe'] }, require: { sub: ['bob'] } }])
    const either = ['event:subscribe', 'task:manage'] as const
    expect([
      outcome(caller({ scope: ['event:subscribe', 'task:manage'] }), t, either),
      outcome(caller({ scope: ['event:subscribe'] }), t, either),
      outcome(caller({ sub: 'bob', scope: ['event:subscribe'] }), t, either),
    ]).toEqual(['ok', 'FORBIDDEN', 'ok'])
  })
})
