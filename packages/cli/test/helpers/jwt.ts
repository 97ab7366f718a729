// Signing test tokens with node:crypto only (HS256 and ES256), so the tests need no JWT library.
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Claims that allow everything on every task, valid for an hour. */
export function fullAccessClaims(): Record<string, unknown> {
  return { sub: 'cli-test', taskIds: '*', scope: ['*'], exp: Math.floor(Date.now() / 1000) + 3600 }
}

export function signHs256(secret: string, claims = fullAccessClaims()): string {
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

export function signEs256(privateKey: KeyObject, claims = fullAccessClaims()): string {
  const input = `${encode({ alg: 'ES256', typ: 'JWT' })}.${encode(claims)}`
  // JWS wants the raw r||s signature, not DER.
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}

/** A P-256 key pair; the public half as PEM (SPKI), as a key file holds it. */
export function es256KeyPair(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export function signRs256(privateKey: KeyObject, claims = fullAccessClaims()): string {
  const input = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}`
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
}

/** A 2048-bit RSA key pair; the public half as PEM (SPKI). */
export function rs256KeyPair(): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}
