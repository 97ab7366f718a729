// Time, injectable so TTL and cleanup can be tested without real waiting.

export type TimerHandle = unknown

export interface Clock {
  now(): number
  /** Schedules `fn`; the timer must never keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = globalThis.setTimeout(fn, ms) as unknown as { unref?: () => void }
    handle.unref?.()
    return handle
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>)
  },
}

// setTimeout fires at once for delays past 2^31-1 ms; longer waits are chained.
export const MAX_TIMER_DELAY_MS = 2_147_483_647
