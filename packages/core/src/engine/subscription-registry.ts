// The subscriptions one engine holds, by task: so that deleting a task ends its subscribers at
// once, and so that a periodic look at each followed task ends the subscribers of a task that
// vanished without a word (expired, deleted by another process, or lost with the store).
import type { Clock, TimerHandle } from '../clock.js'
import type { Task } from '../types.js'
import type { GoneReason, Subscription } from './subscription.js'

/** How long a task found gone gets before its subscribers end as `missing` (see `check`). */
const MISSING_GRACE_MS = 1000

export class SubscriptionRegistry {
  private readonly byTask = new Map<string, Set<Subscription>>()
  private timer: TimerHandle | undefined
  private stopped = false

  /**
   * @param currentTask reads a task as the stores hold it now
   * @param checkMs how often each followed task is looked up
   */
  constructor(
    private readonly clock: Clock,
    private readonly currentTask: (taskId: string) => Promise<Task | null>,
    private readonly checkMs: number,
    private readonly reportError: (error: unknown) => void,
  ) {}

  get size(): number {
    let total = 0
    for (const set of this.byTask.values()) total += set.size
    return total
  }

  /** Subscriptions of one task. */
  countOf(taskId: string): number {
    return this.byTask.get(taskId)?.size ?? 0
  }

  add(subscription: Subscription): void {
    let set = this.byTask.get(subscription.taskId)
    if (!set) this.byTask.set(subscription.taskId, (set = new Set()))
    set.add(subscription)
    this.schedule()
  }

  delete(subscription: Subscription): void {
    const set = this.byTask.get(subscription.taskId)
    if (!set?.delete(subscription)) return
    if (set.size === 0) this.byTask.delete(subscription.taskId)
  }

  /** Ends every subscription of a task with `onGone(reason)`. */
  endTask(taskId: string, reason: GoneReason): void {
    for (const subscription of [...(this.byTask.get(taskId) ?? [])]) subscription.gone(reason)
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /**
   * One read per followed task; a store that does not answer changes nothing (the next round
   * retries). A task found gone is looked up once more a moment later before its subscribers
   * end as `missing`: a deletion's broadcast may be on its way, and it says `deleted`.
   */
  async check(): Promise<void> {
    const gone: string[] = []
    await Promise.all([...this.byTask.keys()].map(async (taskId) => this.checkOne(taskId, () => gone.push(taskId))))
    if (gone.length === 0 || this.stopped) return
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, Math.min(MISSING_GRACE_MS, this.checkMs)))
    await Promise.all(gone.map((taskId) => this.checkOne(taskId)))
  }

  /** Reads one task and tells its subscribers; with `onGone`, a task found gone is left to the caller. */
  private async checkOne(taskId: string, onGone?: () => void): Promise<void> {
    if (!this.byTask.has(taskId)) return
    let task: Task | null
    try {
      task = await this.currentTask(taskId)
    } catch (error) {
      this.reportError(error)
      return
    }
    if (!task && onGone) return onGone()
    for (const subscription of [...(this.byTask.get(taskId) ?? [])]) subscription.checkTask(task)
  }

  private schedule(): void {
    if (this.timer !== undefined || this.stopped) return
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      void this.check().finally(() => {
        if (this.byTask.size > 0) this.schedule()
      })
    }, this.checkMs)
  }
}
