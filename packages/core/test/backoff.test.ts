// Reconnect delays: doubling, capped, jittered within the upper half.
import { describe, expect, it } from 'vitest'
import { backoffDelay, sleep } from '../src/wire/backoff.js'

const options = { initialDelayMs: 100, maxDelayMs: 1000 }

describe('backoffDelay', () => {
  it('doubles per attempt up to the cap', () => {
    const highest = (attempt: number) => backoffDelay(attempt, options, () => 1)
    expect([0, 1, 2, 3, 4, 5, 50].map(highest)).toEqual([100, 200, 400, 800, 1000, 1000, 1000])
  })

  it('draws from the upper half of the window', () => {
    expect(backoffDelay(2, options, () => 0)).toBe(200)
    expect(backoffDelay(2, options, () => 0.5)).toBe(300)
  })
})

describe('sleep', () => {
  it('returns as soon as the signal aborts', async () => {
    const controller = new AbortController()
    const started = Date.now()
    const slept = sleep(60_000, controller.signal)
    controller.abort()
    await slept
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
