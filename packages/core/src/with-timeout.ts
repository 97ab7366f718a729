// Waiting for something, but not for ever: the one "race with a timeout" of the packages.

/**
 * Resolves with `promise`'s value, or with `onTimeout` once `ms` have passed, whichever comes
 * first; a rejection of `promise` before then rejects. The timer never keeps a process alive
 * and is cleared as soon as the race is decided.
 */
export async function withTimeout<T, U = undefined>(promise: Promise<T>, ms: number, onTimeout?: U): Promise<T | U> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout as U), Math.max(0, ms))
    ;(timer as { unref?: () => void }).unref?.()
  })
  try {
    return await Promise.race([promise, timedOut])
  } finally {
    clearTimeout(timer)
  }
}
