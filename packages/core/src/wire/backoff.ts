// Reconnect timing: capped exponential backoff with jitter, and a sleep that an abort cuts short.

export interface BackoffOptions {
  /** @defaultValue 500 */
  initialDelayMs?: number
  /** @defaultValue 30_000 */
  maxDelayMs?: number
}

/**
 * Delay before retry number `attempt` (0-based): `initial * 2^attempt`, capped at `max`,
 * then drawn uniformly from its upper half so that clients cut off together (a server
 * restart) do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, options: Required<BackoffOptions>, random = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/** Resolves after `ms`, or as soon as `signal` aborts. Never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
