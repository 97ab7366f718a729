// Reads the token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1).
import { TaskcastError } from '@taskcast/core'

// The scheme is case-insensitive (RFC 7235); the token is token68.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/** @throws TaskcastError `UNAUTHORIZED` when the header is absent or not a bearer credential. */
export function readBearerToken(header: string | null | undefined): string {
  if (!header) throw new TaskcastError('UNAUTHORIZED', 'missing Authorization header')
  const match = BEARER.exec(header)
  if (!match) throw new TaskcastError('UNAUTHORIZED', 'Authorization header must be "Bearer <token>"')
  return match[1]!
}
