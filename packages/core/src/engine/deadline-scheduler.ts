// Fires a callback at each task's TTL deadline, once, on an injectable clock.
import { MAX_TIMER_DELAY_MS, type Clock, type TimerHandle } from '../clock.js'

export class DeadlineScheduler {
  private readonly timers = new Map<string, TimerHandle>()

  constructor(
    private readonly clock: Clock,
    private readonly onDeadline: (key: string) => void,
  ) {}

  schedule(key: string, at: number): void {
    this.cancel(key)
    const delay = at - this.clock.now()
    // Deadlines past setTimeout's range are reached in hops rather than firing at once.
    const handle = this.clock.setTimeout(
      () => {
        this.timers.delete(key)
        // Past setTimeout's range, or early: Node's timers may fire a millisecond before the
        // clock says the time has come, and a deadline must never fire before its time.
        if (this.clock.now() < at) this.schedule(key, at)
        else this.onDeadline(key)
      },
      Math.min(Math.max(0, delay), MAX_TIMER_DELAY_MS),
    )
    this.timers.set(key, handle)
  }

  cancel(key: string): void {
    const handle = this.timers.get(key)
    if (handle === undefined) return
    this.clock.clearTimeout(handle)
    this.timers.delete(key)
  }

  /** Cancels every key for which `belongs(key)` holds. */
  cancelWhere(belongs: (key: string) => boolean): void {
    for (const key of [...this.timers.keys()]) if (belongs(key)) this.cancel(key)
  }

  get size(): number {
    return this.timers.size
  }

  stop(): void {
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle)
    this.timers.clear()
  }
}
