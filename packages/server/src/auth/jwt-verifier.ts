// Verifies bearer JWTs with jose, accepting only the one configured algorithm (SPEC §9).
import { readFile } from 'node:fs/promises'
import { importSPKI, jwtVerify, type CryptoKey } from 'jose'
import { TaskcastError } from '@taskcast/core'
import { authContextFromClaims } from './auth-claims.js'
import { JWT_ALGORITHMS, type AuthContext, type JwtAlgorithm, type JwtAuthOptions } from './auth-types.js'


export type JwtVerifier = (token: string) => Promise<AuthContext>

function misconfigured(message: string): never {
  throw new TaskcastError('VALIDATION_ERROR', `auth.jwt: ${message}`)
}

/** Checks the options at startup, so a bad config fails before the first request. */
function checkOptions(options: JwtAuthOptions): JwtAlgorithm {
  const algorithm = options.algorithm ?? 'HS256'
  if (!(JWT_ALGORITHMS as readonly string[]).includes(algorithm)) misconfigured(`algorithm must be one of ${JWT_ALGORITHMS.join(', ')}`)
  const hasPublicKey = options.publicKey !== undefined || options.publicKeyFile !== undefined
  if (algorithm === 'HS256') {
    if (typeof options.secret !== 'string' || options.secret.length === 0) misconfigured('secret is required for HS256')
    // A public key next to an HMAC secret smells of the RS256→HS256 confusion; refuse the ambiguity.
    if (hasPublicKey) misconfigured('publicKey/publicKeyFile cannot be used with HS256')
  } else {
    if (options.secret !== undefined) {
      misconfigured(`secret cannot be used with ${algorithm}; give publicKey or publicKeyFile`)
    }
    if (options.publicKey !== undefined && options.publicKeyFile !== undefined) {
      misconfigured('give publicKey or publicKeyFile, not both')
    }
    if (!hasPublicKey) misconfigured(`publicKey or publicKeyFile is required for ${algorithm}`)
  }
  return algorithm
}

/**
 * Loads the public key once; a failed load is retried by the next request rather than cached,
 * so a key file that appears after startup (secret mounts) is picked up.
 */
function publicKeyLoader(options: JwtAuthOptions, algorithm: JwtAlgorithm): () => Promise<CryptoKey> {
  let loading: Promise<CryptoKey> | undefined
  const load = async (): Promise<CryptoKey> => {
    let pem: string
    try {
      pem = options.publicKey ?? (await readFile(options.publicKeyFile!, 'utf8'))
    } catch (cause) {
      throw new TaskcastError('INTERNAL', `cannot read the JWT public key file ${options.publicKeyFile}`, { cause })
    }
    try {
      return await importSPKI(pem.trim(), algorithm)
    } catch (cause) {
      throw new TaskcastError('INTERNAL', `the JWT public key is not a PEM SPKI key usable with ${algorithm}`, { cause })
    }
  }
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined
      throw error
    })
    return loading
  }
}

/**
 * A function from a bearer token to the caller's AuthContext.
 * @throws TaskcastError `VALIDATION_ERROR` (at creation) when the options are inconsistent.
 */
export function createJwtVerifier(options: JwtAuthOptions): JwtVerifier {
  const algorithm = checkOptions(options)
  let getKey: () => Promise<CryptoKey | Uint8Array>
  if (algorithm === 'HS256') {
    const secret = new TextEncoder().encode(options.secret)
    getKey = () => Promise.resolve(secret)
  } else {
    getKey = publicKeyLoader(options, algorithm)
    // Start loading at startup; a failure surfaces (and is retried) on the first request.
    getKey().catch(() => undefined)
  }
  const verifyOptions = {
    algorithms: [algorithm],
    ...(options.issuer !== undefined && { issuer: options.issuer }),
    ...(options.audience !== undefined && { audience: options.audience }),
  }
  return async (token) => {
    const key = await getKey()
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, key, verifyOptions))
    } catch (cause) {
      // Everything jose rejects is the token's fault: bad signature, algorithm, time window, iss, aud, syntax.
      throw new TaskcastError('UNAUTHORIZED', 'invalid or expired token', { cause })
    }
    return authContextFromClaims(payload)
  }
}
