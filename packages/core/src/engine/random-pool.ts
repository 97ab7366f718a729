// Random numbers for event ids, drawn from a pooled buffer. ulid's own source asks
// crypto.getRandomValues for one byte per character: sixteen calls for each new millisecond,
// which showed up as 5% of the CPU of a publish.

const POOL_BYTES = 4096

/** A ulid PRNG (a fraction in [0, 1), in steps of 1/256, like ulid's own) refilled 4 KiB at a time; undefined without Web Crypto. */
export function pooledRandom(): (() => number) | undefined {
  const crypto = globalThis.crypto
  if (typeof crypto?.getRandomValues !== 'function') return undefined
  const pool = new Uint8Array(POOL_BYTES)
  let at = POOL_BYTES
  return () => {
    if (at === POOL_BYTES) {
      crypto.getRandomValues(pool)
      at = 0
    }
    return pool[at++]! / 256
  }
}
