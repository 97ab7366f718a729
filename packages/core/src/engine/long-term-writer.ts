// Copies tasks and events to the long-term store in the background: batched, compacted,
// retried with backoff, never dropped while the process lives, flushed on stop().
import type { Clock, TimerHandle } from '../clock.js'
import type { HookErrorContext } from '../hooks.js'
import type { LongTermStore } from '../storage/long-term-store.js'
import type { ShortTermStore } from '../storage/short-term-store.js'
import type { Task, TaskEvent } from '../types.js'

export interface LongTermWriterOptions {
  /** Most events written in one call to `saveEvents`. @defaultValue 500 */
  batchSize?: number
  /** Delay between the first queued write and the flush, to gather a batch. @defaultValue 20 */
  flushDelayMs?: number
  /** First retry delay after a failed write; doubles up to `maxRetryDelayMs`. @defaultValue 100 */
  retryDelayMs?: number
  /** @defaultValue 5000 */
  maxRetryDelayMs?: number
}

const DEFAULTS: Required<LongTermWriterOptions> = {
  batchSize: 500,
  flushDelayMs: 20,
  retryDelayMs: 100,
  maxRetryDelayMs: 5000,
}

export class LongTermWriter {
  private readonly options: Required<LongTermWriterOptions>
  private tasks = new Map<string, Task>()
  private events: TaskEvent[] = []
  private timer: TimerHandle | undefined
  private flushing: Promise<void> | undefined
  private failures = 0
  private stopped = false

  constructor(
    private readonly store: LongTermStore,
    private readonly shortTerm: ShortTermStore,
    private readonly clock: Clock,
    private readonly reportError: (error: unknown, context: HookErrorContext) => void,
    options: LongTermWriterOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options }
  }

  /** Writes waiting to be flushed (tasks + events). */
  get pending(): number {
    return this.tasks.size + this.events.length
  }

  saveTask(task: Task): void {
    this.tasks.set(task.id, task)
    this.schedule(this.options.flushDelayMs)
  }

  saveEvents(events: readonly TaskEvent[]): void {
    for (const event of events) this.events.push(event)
    this.schedule(this.options.flushDelayMs)
  }

  /** Forgets queued writes of a deleted task, so a late flush does not bring it back. */
  discardTask(taskId: string): void {
    this.tasks.delete(taskId)
    this.events = this.events.filter((event) => event.taskId !== taskId)
  }

  /** Flushes everything queued; gives up after `timeoutMs`, reporting what is left unwritten. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    const deadline = Date.now() + timeoutMs
    while (this.pending > 0 || this.flushing) {
      if (Date.now() >= deadline) {
        this.reportError(new Error(`${this.pending} long-term writes were not flushed before stop`), {
          source: 'long-term-writer',
        })
        return
      }
      await (this.flushing ?? this.flushOnce().catch(() => sleep(Math.min(this.retryDelay(), deadline - Date.now()))))
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.flushing || this.stopped) return
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      void this.flushLoop()
    }, delayMs)
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending > 0 && !this.stopped) await this.flushOnce()
      this.failures = 0
    } catch {
      this.schedule(this.retryDelay())
    }
  }

  private retryDelay(): number {
    return Math.min(this.options.retryDelayMs * 2 ** Math.max(0, this.failures - 1), this.options.maxRetryDelayMs)
  }

  private flushOnce(): Promise<void> {
    const tasks = [...this.tasks.values()]
    this.tasks.clear()
    const events = this.events.splice(0, this.options.batchSize)
    const run = this.write(tasks, events).then(
      () => {
        this.failures = 0
      },
      (error: unknown) => {
        // Put the batch back in front so order is kept; newer task snapshots win.
        for (const task of tasks) if (!this.tasks.has(task.id)) this.tasks.set(task.id, task)
        this.events = events.concat(this.events)
        this.failures++
        if (this.failures === 1) this.reportError(error, { source: 'long-term-writer' })
        throw error
      },
    )
    this.flushing = run.finally(() => {
      this.flushing = undefined
    }).catch(() => {})
    return run
  }

  private async write(tasks: Task[], events: TaskEvent[]): Promise<void> {
    // Tasks first: an event row may refer to its task.
    for (const task of tasks) await this.store.saveTask(task)
    if (events.length > 0) await this.store.saveEvents(await this.compact(events))
  }

  /** One event per accumulate or latest series: the newest, carrying the series' running value. */
  private async compact(events: TaskEvent[]): Promise<TaskEvent[]> {
    const lastOfSeries = new Map<string, number>()
    events.forEach((event, at) => {
      if (event.seriesId !== undefined && (event.seriesMode === 'accumulate' || event.seriesMode === 'latest')) {
        lastOfSeries.set(`${event.taskId}\u0000${event.seriesId}`, at)
      }
    })
    if (lastOfSeries.size === 0) return events
    const out: TaskEvent[] = []
    for (const [at, event] of events.entries()) {
      const key = `${event.taskId}\u0000${event.seriesId}`
      const last = lastOfSeries.get(key)
      if (last === undefined) out.push(event)
      else if (last === at) {
        if (event.seriesMode !== 'accumulate') out.push(event)
        else {
          const running = await this.shortTerm.getSeriesValue(event.taskId, event.seriesId!)
          out.push(running === undefined ? event : { ...event, data: running })
        }
      }
    }
    return out
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => globalThis.setTimeout(resolve, Math.max(0, ms)))
}

