// Who is calling and what they may do: the result of authentication (SPEC §9).
import type { PermissionScope } from '@taskcast/core'

export interface AuthContext {
  sub?: string
  /** Task ids this caller may touch, or '*' for all. */
  taskIds: string[] | '*'
  scope: PermissionScope[]
  /** Every claim of the token (or of the custom authenticator's result), for per-task rules. */
  claims: Record<string, unknown>
  /** When the credential stops being valid (ms since epoch); SSE streams close then. */
  expiresAt?: number
}

/** Every JWT algorithm the verifier accepts: HMAC with a secret, or RSA/ECDSA with a public key. */
export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256', 'ES384', 'ES512'] as const

export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number]

export interface JwtAuthOptions {
  /** @defaultValue 'HS256' */
  algorithm?: JwtAlgorithm
  /** HMAC secret, for HS256. */
  secret?: string
  /** PEM public key (SPKI), for RS256/ES*. */
  publicKey?: string
  /** Path to a PEM public key file, for RS256/ES*. */
  publicKeyFile?: string
  issuer?: string
  audience?: string
}

export type AuthOptions =
  | { mode: 'none' }
  | { mode: 'jwt'; jwt: JwtAuthOptions }
  | { mode: 'custom'; authenticate: (request: Request) => Promise<AuthContext | null> }
