// Leases of assigned tasks (SPEC §18): an assigned task its worker has not started within its
// `leaseMs` goes back to pending. Every process that takes part in assignment sweeps the tasks
// assigned in the store (not only its own), so a lease outlives the process that granted it;
// the move back is a compare-and-set, so two sweepers cannot both apply it.
import type { Clock, TimerHandle } from '../clock.js'
import type { ShortTermStore } from '../storage/short-term-store.js'
import type { Task } from '../types.js'
import { DEFAULT_LEASE_MS } from '../types.js'

/** Assigned tasks one sweep reads at most (the oldest first: their leases lapse first). */
const SWEEP_PAGE = 200

/** When the lease of an assigned task lapses (ms since epoch). */
export function leaseEndOf(task: Task): number {
  return (task.assignedTo?.at ?? task.updatedAt) + (task.assign?.leaseMs ?? DEFAULT_LEASE_MS)
}

export class LeaseSweeper {
  private timer: TimerHandle | undefined
  private started = false
  private stopped = false

  /**
   * @param giveBack moves a lapsed task back to pending (a lost compare-and-set is no error)
   */
  constructor(
    private readonly store: ShortTermStore,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly giveBack: (task: Task) => Promise<boolean>,
    private readonly reportError: (error: unknown) => void,
  ) {}

  /** Starts sweeping (once); the engine calls it as soon as this process takes part in assignment. */
  start(): void {
    if (this.started || this.stopped || !this.store.listTasks) return
    this.started = true
    this.schedule()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** One sweep; resolves how many tasks went back. */
  async sweep(): Promise<number> {
    const now = this.clock.now()
    let returned = 0
    const page = await this.store.listTasks!({ statuses: ['assigned'], oldestFirst: true, limit: SWEEP_PAGE })
    for (const task of page.tasks) {
      if (task.status !== 'assigned' || leaseEndOf(task) > now) continue
      if (await this.giveBack(task)) returned++
    }
    return returned
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.sweep()
        .catch((error: unknown) => this.reportError(error))
        .finally(() => {
          if (!this.stopped) this.schedule()
        })
    }, this.intervalMs)
  }
}
