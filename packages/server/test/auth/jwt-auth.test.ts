import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, SignJWT, type CryptoKey, type JWTPayload } from 'jose'
import { TaskcastError } from '@taskcast/core'
import { createAuthMiddleware, type JwtAlgorithm } from '../../src/auth/index.js'
import { authTestApp, call, errorCode } from './auth-test-app.js'

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long'
const GRANT = { sub: 'user-1', taskIds: '*', scope: ['*'] }
const now = () => Math.floor(Date.now() / 1000)

async function sign(
  claims: JWTPayload,
  key: CryptoKey | Uint8Array,
  alg: string,
  options: { expiresIn?: number | string; notBefore?: number; issuer?: string; audience?: string } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt()
  jwt.setExpirationTime(options.expiresIn ?? '5m')
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore)
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer)
  if (options.audience !== undefined) jwt.setAudience(options.audience)
  return jwt.sign(key)
}

const hmac = (secret: string) => new TextEncoder().encode(secret)
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

interface KeyPair {
  privateKey: CryptoKey
  pem: string
}
const keys = new Map<JwtAlgorithm, KeyPair>()
let otherRsa: KeyPair

async function keyPair(alg: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { privateKey, pem: await exportSPKI(publicKey) }
}

beforeAll(async () => {
  for (const alg of ['RS256', 'ES256', 'ES384', 'ES512'] as const) keys.set(alg, await keyPair(alg))
  otherRsa = await keyPair('RS256')
})

const hsApp = (extra: { issuer?: string; audience?: string } = {}) =>
  authTestApp({ mode: 'jwt', jwt: { algorithm: 'HS256', secret: SECRET, ...extra } })
const rsApp = () => authTestApp({ mode: 'jwt', jwt: { algorithm: 'RS256', publicKey: keys.get('RS256')!.pem } })

describe('jwt mode: algorithms', () => {
  it('accepts an HS256 token signed with the configured secret', async () => {
    const token = await sign(GRANT, hmac(SECRET), 'HS256')
    const { status, body } = await call(hsApp(), '/tasks/task-1', { token })
    expect(status).toBe(200)
    expect(body).toMatchObject({ sub: 'user-1', taskIds: '*', scope: ['*'] })
  })

  it.each(['RS256', 'ES256', 'ES384', 'ES512'] as const)('accepts a %s token verified with the PEM public key', async (alg) => {
    const pair = keys.get(alg)!
    const app = authTestApp({ mode: 'jwt', jwt: { algorithm: alg, publicKey: pair.pem } })
    const { status } = await call(app, '/tasks/task-1', { token: await sign(GRANT, pair.privateKey, alg) })
    expect(status).toBe(200)
  })

  it('reads the public key from publicKeyFile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taskcast-auth-'))
    try {
      const file = join(dir, 'jwt.pub')
      await writeFile(file, keys.get('ES256')!.pem)
      const app = authTestApp({ mode: 'jwt', jwt: { algorithm: 'ES256', publicKeyFile: file } })
      const token = await sign(GRANT, keys.get('ES256')!.privateKey, 'ES256')
      expect((await call(app, '/tasks/task-1', { token })).status).toBe(200)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('answers 500 while the key file is missing and picks it up once it appears', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taskcast-auth-'))
    try {
      const file = join(dir, 'late.pub')
      const app = authTestApp({ mode: 'jwt', jwt: { algorithm: 'RS256', publicKeyFile: file } })
      const token = await sign(GRANT, keys.get('RS256')!.privateKey, 'RS256')
      const before = await call(app, '/tasks/task-1', { token })
      expect([before.status, errorCode(before.body)]).toEqual([500, 'INTERNAL'])
      await writeFile(file, keys.get('RS256')!.pem)
      expect((await call(app, '/tasks/task-1', { token })).status).toBe(200)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('rejects a token signed with another key', async () => {
    const hs = await call(hsApp(), '/tasks/task-1', { token: await sign(GRANT, hmac(`${SECRET}-other`), 'HS256') })
    const rs = await call(rsApp(), '/tasks/task-1', { token: await sign(GRANT, otherRsa.privateKey, 'RS256') })
    expect([hs.status, errorCode(hs.body), rs.status, errorCode(rs.body)]).toEqual([401, 'UNAUTHORIZED', 401, 'UNAUTHORIZED'])
  })

  it('rejects HS384 when HS256 is configured, even with the right secret', async () => {
    const { status } = await call(hsApp(), '/tasks/task-1', { token: await sign(GRANT, hmac(SECRET), 'HS384') })
    expect(status).toBe(401)
  })

  it('rejects RS384 signed with the configured RSA key when RS256 is configured', async () => {
    // Same RSA key material, re-imported for SHA-384: only the algorithm differs.
    const sameKey = await importPKCS8(await exportPKCS8(keys.get('RS256')!.privateKey), 'RS384')
    const { status } = await call(rsApp(), '/tasks/task-1', { token: await sign(GRANT, sameKey, 'RS384') })
    expect(status).toBe(401)
  })

  it('rejects an HS256 token whose HMAC secret is the RS256 public key PEM (algorithm confusion)', async () => {
    const token = await sign(GRANT, hmac(keys.get('RS256')!.pem), 'HS256')
    const { status, body } = await call(rsApp(), '/tasks/task-1', { token })
    expect([status, errorCode(body)]).toEqual([401, 'UNAUTHORIZED'])
  })

  it('rejects an unsigned alg:none token', async () => {
    const exp = now() + 300
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...GRANT, exp })}.`
    expect((await call(hsApp(), '/tasks/task-1', { token: unsigned })).status).toBe(401)
    expect((await call(rsApp(), '/tasks/task-1', { token: unsigned })).status).toBe(401)
  })
})

describe('jwt mode: time window, issuer and audience', () => {
  it('rejects an expired token', async () => {
    const token = await sign(GRANT, hmac(SECRET), 'HS256', { expiresIn: now() - 10 })
    expect((await call(hsApp(), '/tasks/task-1', { token })).status).toBe(401)
  })

  it('rejects a token that is not valid yet (nbf in the future)', async () => {
    const token = await sign(GRANT, hmac(SECRET), 'HS256', { notBefore: now() + 120 })
    expect((await call(hsApp(), '/tasks/task-1', { token })).status).toBe(401)
  })

  it('reports the expiry as expiresAt in milliseconds', async () => {
    const exp = now() + 600
    const { body } = await call(hsApp(), '/tasks/task-1', { token: await sign(GRANT, hmac(SECRET), 'HS256', { expiresIn: exp }) })
    expect(body.expiresAt).toBe(exp * 1000)
  })

  it('accepts the configured issuer and audience and rejects others', async () => {
    const app = hsApp({ issuer: 'https://issuer.example', audience: 'taskcast' })
    const good = await sign(GRANT, hmac(SECRET), 'HS256', { issuer: 'https://issuer.example', audience: 'taskcast' })
    const wrongIssuer = await sign(GRANT, hmac(SECRET), 'HS256', { issuer: 'https://evil.example', audience: 'taskcast' })
    const wrongAudience = await sign(GRANT, hmac(SECRET), 'HS256', { issuer: 'https://issuer.example', audience: 'other' })
    const neither = await sign(GRANT, hmac(SECRET), 'HS256')
    const statuses = []
    for (const token of [good, wrongIssuer, wrongAudience, neither]) statuses.push((await call(app, '/tasks/t', { token })).status)
    expect(statuses).toEqual([200, 401, 401, 401])
  })
})

describe('jwt mode: Authorization header', () => {
  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['scheme only', 'Bearer'],
    ['scheme and space', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['no scheme', 'eyJhbGciOiJIUzI1NiJ9.e30.sig'],
    ['garbage token', 'Bearer not-a-jwt'],
    ['three garbage segments', 'Bearer aaa.bbb.ccc'],
    ['non-token68 characters', 'Bearer abc$def'],
  ])('rejects a header that is %s', async (_, authorization) => {
    const { status, body } = await call(hsApp(), '/tasks/task-1', authorization === undefined ? {} : { authorization })
    expect([status, errorCode(body)]).toEqual([401, 'UNAUTHORIZED'])
  })

  it('accepts the scheme in any case', async () => {
    const token = await sign(GRANT, hmac(SECRET), 'HS256')
    expect((await call(hsApp(), '/tasks/task-1', { authorization: `bearer ${token}` })).status).toBe(200)
  })
})

describe('jwt mode: claims are validated, never cast', () => {
  it.each([
    ['taskIds missing', { scope: ['*'] }],
    ['taskIds a single id string', { taskIds: 'task-1', scope: ['*'] }],
    ['taskIds with an empty id', { taskIds: [''], scope: ['*'] }],
    ['taskIds with a number', { taskIds: [1], scope: ['*'] }],
    ['taskIds an object', { taskIds: { '*': true }, scope: ['*'] }],
    ['scope missing', { taskIds: '*' }],
    ['scope a string', { taskIds: '*', scope: '*' }],
    ['scope a space-separated string', { taskIds: '*', scope: 'task:create event:publish' }],
    ['scope with an unknown entry', { taskIds: '*', scope: ['task:create', 'admin'] }],
    ['scope with a non-string', { taskIds: '*', scope: [null] }],
    ['sub not a string', { sub: 42, taskIds: '*', scope: ['*'] }],
  ])('answers 401 when %s', async (_, claims) => {
    const token = await sign(claims as JWTPayload, hmac(SECRET), 'HS256')
    const { status, body } = await call(hsApp(), '/tasks', { method: 'POST', token })
    expect([status, errorCode(body)]).toEqual([401, 'UNAUTHORIZED'])
  })
})

describe('jwt mode: scopes and task ids', () => {
  const token = (claims: JWTPayload) => sign(claims, hmac(SECRET), 'HS256')

  it('answers 403 when the token lacks the endpoint scope', async () => {
    const t = await token({ taskIds: '*', scope: ['event:subscribe'] })
    const create = await call(hsApp(), '/tasks', { method: 'POST', token: t })
    const publish = await call(hsApp(), '/tasks/task-1/events', { method: 'POST', token: t })
    expect([create.status, errorCode(create.body), publish.status]).toEqual([403, 'FORBIDDEN', 403])
  })

  it('accepts any of the scopes an endpoint lists', async () => {
    const manage = await call(hsApp(), '/tasks/task-1', { token: await token({ taskIds: '*', scope: ['task:manage'] }) })
    const subscribe = await call(hsApp(), '/tasks/task-1', { token: await token({ taskIds: '*', scope: ['event:subscribe'] }) })
    const history = await call(hsApp(), '/tasks/task-1', { token: await token({ taskIds: '*', scope: ['event:history'] }) })
    expect([manage.status, subscribe.status, history.status]).toEqual([200, 200, 403])
  })

  it('matches task ids exactly: a token for task-12 cannot open task-1', async () => {
    const t = await token({ taskIds: ['task-12'], scope: ['event:subscribe', 'event:publish'] })
    const own = await call(hsApp(), '/tasks/task-12', { token: t })
    const prefix = await call(hsApp(), '/tasks/task-1', { token: t })
    const longer = await call(hsApp(), '/tasks/task-123', { token: t })
    const publish = await call(hsApp(), '/tasks/task-1/events', { method: 'POST', token: t })
    expect([own.status, prefix.status, errorCode(prefix.body), longer.status, publish.status]).toEqual([
      200,
      403,
      'FORBIDDEN',
      403,
      403,
    ])
  })

  it('grants every endpoint to the "*" scope', async () => {
    const t = await token({ taskIds: ['task-1'], scope: ['*'] })
    const statuses = [
      (await call(hsApp(), '/tasks', { method: 'POST', token: t })).status,
      (await call(hsApp(), '/tasks/task-1', { token: t })).status,
      (await call(hsApp(), '/tasks/task-1/events', { method: 'POST', token: t })).status,
    ]
    expect(statuses).toEqual([201, 200, 201])
  })

  it('grants no task with an empty taskIds list', async () => {
    const t = await token({ taskIds: [], scope: ['*'] })
    expect((await call(hsApp(), '/tasks/task-1', { token: t })).status).toBe(403)
  })
})

describe('jwt mode: configuration', () => {
  const invalid = (jwt: Record<string, unknown>) => {
    try {
      createAuthMiddleware({ mode: 'jwt', jwt })
    } catch (error) {
      return TaskcastError.isInstance(error) ? error.code : error
    }
    return 'accepted'
  }

  it('refuses inconsistent options at creation', () => {
    expect([
      invalid({ algorithm: 'HS256' }),
      invalid({ algorithm: 'HS256', secret: '' }),
      invalid({ algorithm: 'HS256', secret: SECRET, publicKey: 'pem' }),
      invalid({ algorithm: 'RS256' }),
      invalid({ algorithm: 'RS256', secret: SECRET, publicKey: 'pem' }),
      invalid({ algorithm: 'ES256', publicKey: 'pem', publicKeyFile: '/k.pub' }),
      invalid({ algorithm: 'HS512', secret: SECRET }),
      invalid({ algorithm: 'none', secret: SECRET }),
    ]).toEqual(Array(8).fill('VALIDATION_ERROR'))
  })

  it('defaults to HS256', async () => {
    const app = authTestApp({ mode: 'jwt', jwt: { secret: SECRET } })
    expect((await call(app, '/tasks/t', { token: await sign(GRANT, hmac(SECRET), 'HS256') })).status).toBe(200)
  })

  it('answers 500, not 401, when the configured public key is not a usable PEM', async () => {
    const app = authTestApp({ mode: 'jwt', jwt: { algorithm: 'ES256', publicKey: keys.get('RS256')!.pem } })
    const { status, body } = await call(app, '/tasks/t', { token: await sign(GRANT, keys.get('ES256')!.privateKey, 'ES256') })
    expect([status, errorCode(body)]).toEqual([500, 'INTERNAL'])
  })
})

afterAll(() => keys.clear())
