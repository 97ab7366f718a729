// Reads the token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1).
import { TaskcastError } from '@taskcast/core'

/** token68 (RFC 7235): what a bearer token may hold. */
const TOKEN68 = '[A-Za-z0-9\\-._~+/]+=*'
// The scheme is case-insensitive (RFC 7235).
const BEARER = new RegExp(`^Bearer +(${TOKEN68}) *$`, 'i')
const WHOLE_TOKEN68 = new RegExp(`^${TOKEN68}$`)

/** Whether `value` can be sent as a bearer token (a configured token that cannot would lock every client out). */
export function isBearerToken(value: string): boolean {
  return WHOLE_TOKEN68.test(value)
}

/** @throws TaskcastError `UNAUTHORIZED` when the header is absent or not a bearer credential. */
export function readBearerToken(header: string | null | undefined): string {
  if (!header) throw new TaskcastError('UNAUTHORIZED', 'missing Authorization header')
  const match = BEARER.exec(header)
  if (!match) throw new TaskcastError('UNAUTHORIZED', 'Authorization header must be "Bearer <token>"')
  return match[1]!
}
