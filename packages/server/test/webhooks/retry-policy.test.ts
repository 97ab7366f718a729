import { describe, expect, it } from 'vitest'
import { DEFAULT_RETRY, resolveRetry, retryDelay } from '../../src/webhooks/index.js'

describe('retry policy', () => {
  it('defaults to 3 exponential retries from 1 s, capped at 30 s, with a 5 s timeout', () => {
    expect(resolveRetry(undefined, undefined, false)).toEqual({
      retries: 3,
      backoff: 'exponential',
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      timeoutMs: 5000,
    })
  })

  it("takes each field from the webhook, else the server's default, else the product default", () => {
    expect(resolveRetry({ retries: 1 }, { retries: 5, backoff: 'fixed', timeoutMs: 200 }, false)).toEqual({
      ...DEFAULT_RETRY,
      retries: 1,
      backoff: 'fixed',
      timeoutMs: 200,
    })
  })

  it('caps per-task webhooks, not operator-configured ones', () => {
    const greedy = { retries: 1000, initialDelayMs: 3_600_000, maxDelayMs: 86_400_000, timeoutMs: 600_000 }
    expect(resolveRetry(greedy, undefined, true)).toEqual({
      retries: 10,
      backoff: 'exponential',
      initialDelayMs: 60_000,
      maxDelayMs: 300_000,
      timeoutMs: 30_000,
    })
    expect(resolveRetry(greedy, undefined, false)).toEqual({ ...greedy, backoff: 'exponential' })
  })

  it('computes fixed, linear and exponential delays, capped at maxDelayMs', () => {
    const delays = (backoff: 'fixed' | 'linear' | 'exponential') =>
      [1, 2, 3, 4, 5, 6].map((n) => retryDelay({ ...DEFAULT_RETRY, backoff, initialDelayMs: 100, maxDelayMs: 1000 }, n))
    expect(delays('fixed')).toEqual([100, 100, 100, 100, 100, 100])
    expect(delays('linear')).toEqual([100, 200, 300, 400, 500, 600])
    expect(delays('exponential')).toEqual([100, 200, 400, 800, 1000, 1000])
  })
})
