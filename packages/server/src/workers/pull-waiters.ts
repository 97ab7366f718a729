// The long-polls of `GET /workers/pull` waiting in this process (SPEC §18). A waiter is served
// as soon as a task it may take becomes pending: a creation notice or a task given back wakes
// the line (through the engine's feed of every task, so a task created on another process
// wakes it too), and a slow poll covers a notice the broadcast lost.
import type { PullWorkerListing, Task, TaskEngine, WorkerIdentity } from '@taskcast/core'
import { offersWork, WORKER_POLL_MS } from './offers-work.js'


interface Waiter {
  worker: WorkerIdentity
  resolve: (task: Task | null) => void
  timer: ReturnType<typeof setTimeout>
  signal: AbortSignal | undefined
  onAbort: () => void
}

export class PullWaiters {
  /** First come, first served. */
  private readonly line = new Set<Waiter>()
  private unwatch: (() => void) | undefined
  private poll: ReturnType<typeof setInterval> | undefined
  /** A round of claims in progress; a wake during it runs one more round after it. */
  private round: Promise<void> | undefined
  private again = false
  /** Told of each task handed to a worker here (the metrics time the wait from its creation). */
  onAssigned: ((task: Task) => void) | undefined

  constructor(
    private readonly engine: TaskEngine,
    private readonly reportError: (error: unknown) => void,
  ) {}

  get size(): number {
    return this.line.size
  }

  /** Workers waiting now, in arrival order, as `GET /workers` lists them. */
  listing(): PullWorkerListing[] {
    return [...this.line].map((waiter) => ({ ...waiter.worker, mode: 'pull' }))
  }

  /**
   * A task for `worker` within `timeoutMs`, or `null`. `signal` aborting (the client went)
   * takes the waiter out of the line; a task assigned just as it went is given back.
   */
  async take(worker: WorkerIdentity, timeoutMs: number, signal?: AbortSignal): Promise<Task | null> {
    const now = await this.engine.claimTask(worker)
    if (now) return this.unlessGone(now, signal)
    if (signal?.aborted || timeoutMs <= 0) return null
    const task = await new Promise<Task | null>((resolve) => {
      const waiter: Waiter = {
        worker,
        resolve: (found) => {
          this.leave(waiter)
          resolve(found)
        },
        timer: setTimeout(() => waiter.resolve(null), timeoutMs),
        signal,
        onAbort: () => waiter.resolve(null),
      }
      signal?.addEventListener('abort', waiter.onAbort, { once: true })
      this.line.add(waiter)
      this.listen()
    })
    return task && this.unlessGone(task, signal)
  }

  /** Ends every wait with no task (the app is closing). */
  close(): void {
    for (const waiter of [...this.line]) waiter.resolve(null)
  }

  private async unlessGone(task: Task, signal: AbortSignal | undefined): Promise<Task | null> {
    if (!signal?.aborted) {
      this.onAssigned?.(task)
      return task
    }
    await this.engine.releaseTask(task.id, 'worker-lost', task.assignedTo).catch((error: unknown) => this.reportError(error))
    return null
  }

  private leave(waiter: Waiter): void {
    if (!this.line.delete(waiter)) return
    clearTimeout(waiter.timer)
    waiter.signal?.removeEventListener('abort', waiter.onAbort)
    if (this.line.size > 0) return
    this.unwatch?.()
    this.unwatch = undefined
    clearInterval(this.poll)
    this.poll = undefined
  }

  private listen(): void {
    if (this.unwatch === undefined && this.engine.canWatchEvents) {
      this.unwatch = this.engine.watchEvents((event) => {
        if (offersWork(event)) this.wake()
      })
    }
    this.poll ??= setInterval(() => this.wake(), WORKER_POLL_MS)
    ;(this.poll as { unref?: () => void }).unref?.()
  }

  private wake(): void {
    if (this.round) {
      this.again = true
      return
    }
    this.round = this.serve().finally(() => {
      this.round = undefined
      if (this.again && this.line.size > 0) {
        this.again = false
        this.wake()
      }
    })
  }

  /** Each waiter, in order, tries once for a task; one finding none does not stop the others (their filters differ). */
  private async serve(): Promise<void> {
    for (const waiter of [...this.line]) {
      if (!this.line.has(waiter)) continue
      try {
        const task = await this.engine.claimTask(waiter.worker)
        if (!task) continue
        if (this.line.has(waiter)) waiter.resolve(task)
        else await this.engine.releaseTask(task.id, 'worker-lost', task.assignedTo)
      } catch (error) {
        this.reportError(error)
      }
    }
  }
}
