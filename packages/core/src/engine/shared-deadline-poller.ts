// TTL deadlines kept by the store (`dueDeadlines`): polled so that a deadline outlives the
// process that set it and fires once, whichever process sees it first (the timeout itself is a
// compare-and-set transition, so two processes cannot both apply it).
import type { Clock, TimerHandle } from '../clock.js'
import type { ShortTermStore } from '../storage/short-term-store.js'

export class SharedDeadlinePoller {
  private timer: TimerHandle | undefined
  private stopped = false

  /**
   * @param expire times a task out; resolves whether its deadline is dealt with (then forgotten)
   */
  constructor(
    private readonly store: ShortTermStore,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly expire: (taskId: string) => Promise<boolean>,
    private readonly reportError: (error: unknown) => void,
  ) {
    this.timer = clock.setTimeout(() => void this.poll(), 0)
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private async poll(): Promise<void> {
    try {
      const due = await this.store.dueDeadlines!(this.clock.now(), 100)
      for (const taskId of due) {
        if (await this.expire(taskId)) await this.store.clearDeadline?.(taskId)
      }
    } catch (error) {
      this.reportError(error)
    }
    if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.poll(), this.intervalMs)
  }
}
