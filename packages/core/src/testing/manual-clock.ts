// A clock that only moves when a test says so.
import type { Clock, TimerHandle } from '../clock.js'

interface Timer {
  id: number
  at: number
  fn: () => void
}

export class ManualClock implements Clock {
  private current: number
  private nextId = 1
  private timers: Timer[] = []

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn }
    this.timers.push(timer)
    return timer.id
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle)
  }

  /** Number of timers not yet fired. */
  pendingTimers(): number {
    return this.timers.length
  }

  /**
   * Moves time forward, firing due timers in deadline order. Between timers it lets
   * pending promise callbacks run, so async work a timer starts can finish.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms
    for (;;) {
      await settle()
      const due = this.timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (!due) break
      this.timers = this.timers.filter((timer) => timer !== due)
      this.current = Math.max(this.current, due.at)
      due.fn()
    }
    this.current = target
    await settle()
  }
}

async function settle(): Promise<void> {
  // A macrotask boundary lets every queued microtask (and chains of them) run.
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => globalThis.setTimeout(resolve, 0))
}
