// A deadline never fires before its time, even on a runtime whose timers fire a little early.
import { describe, expect, it } from 'vitest'
import type { Clock } from '../src/clock.js'
import { DeadlineScheduler } from '../src/engine/deadline-scheduler.js'

/** A clock whose timers fire 1 ms before the time they were set for (as Node's may), never before the next ms. */
function earlyClock() {
  let now = 1_000
  const timers: { at: number; fn: () => void }[] = []
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const timer = { at: now + Math.max(1, ms - 1), fn }
      timers.push(timer)
      return timer
    },
    clearTimeout: (handle) => {
      const i = timers.indexOf(handle as (typeof timers)[number])
      if (i >= 0) timers.splice(i, 1)
    },
  }
  /** Moves the clock to `to`, firing due timers in order. */
  const advanceTo = (to: number) => {
    for (;;) {
      timers.sort((a, b) => a.at - b.at)
      const next = timers[0]
      if (!next || next.at > to) break
      timers.shift()
      now = Math.max(now, next.at)
      next.fn()
    }
    now = to
  }
  return { clock, advanceTo }
}

describe('DeadlineScheduler', () => {
  it('waits out a timer that fires early instead of firing before the deadline', () => {
    const { clock, advanceTo } = earlyClock()
    const fired: number[] = []
    const scheduler = new DeadlineScheduler(clock, () => fired.push(clock.now()))
    scheduler.schedule('t', 3_000)
    advanceTo(2_999)
    expect(fired).toEqual([])
    advanceTo(3_000)
    expect(fired).toEqual([3_000])
  })
})
