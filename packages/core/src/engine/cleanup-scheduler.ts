// Cleanup rules (SPEC §11): after a task ends, delete its events or the task itself once
// `afterMs` has passed. A task's own rules replace the global ones.
import type { Clock } from '../clock.js'
import { matchesType } from '../filter.js'
import type { HookErrorContext } from '../hooks.js'
import type { LongTermStore } from '../storage/long-term-store.js'
import type { ShortTermStore } from '../storage/short-term-store.js'
import type { CleanupRule, Task, TaskEvent } from '../types.js'
import { DeadlineScheduler } from './deadline-scheduler.js'

export interface CleanupSchedulerOptions {
  clock: Clock
  rules: CleanupRule[]
  shortTerm: ShortTermStore
  longTerm: LongTermStore | undefined
  reportError: (error: unknown, context: HookErrorContext) => void
  /** After a rule ran on a task: what the engine keeps of the task's log is out of date. */
  removed?: (taskId: string) => void
}

/** Whether a rule's `match` selects the task. */
export function ruleMatches(rule: CleanupRule, task: Task): boolean {
  const { taskTypes, status } = rule.match ?? {}
  if (status && !status.includes(task.status)) return false
  if (taskTypes && (task.type === undefined || !matchesType(taskTypes, task.type))) return false
  return true
}

function selectsEvent(rule: CleanupRule): (event: TaskEvent) => boolean {
  const { types, levels, seriesMode } = rule.eventFilter ?? {}
  return (event) =>
    (types === undefined || matchesType(types, event.type)) &&
    (levels === undefined || levels.includes(event.level)) &&
    (seriesMode === undefined || (event.seriesMode !== undefined && seriesMode.includes(event.seriesMode)))
}

export class CleanupScheduler {
  private readonly deadlines: DeadlineScheduler
  private readonly pending = new Map<string, { taskId: string; rule: CleanupRule }>()
  private sequence = 0

  constructor(private readonly options: CleanupSchedulerOptions) {
    this.deadlines = new DeadlineScheduler(options.clock, (key) => void this.run(key))
  }

  /** The rules that apply to `task`: its own, which replace the global ones, or the global ones. */
  rulesFor(task: Pick<Task, 'cleanup'>): readonly CleanupRule[] {
    return task.cleanup?.rules ?? this.options.rules
  }

  taskEnded(task: Task): void {
    const rules = this.rulesFor(task)
    const endedAt = task.completedAt ?? task.updatedAt
    for (const rule of rules) {
      if (!ruleMatches(rule, task)) continue
      const key = `${task.id}\u0000${this.sequence++}`
      this.pending.set(key, { taskId: task.id, rule })
      this.deadlines.schedule(key, endedAt + (rule.trigger.afterMs ?? 0))
    }
  }

  cancel(taskId: string): void {
    this.deadlines.cancelWhere((key) => this.pending.get(key)?.taskId === taskId)
    for (const [key, job] of this.pending) if (job.taskId === taskId) this.pending.delete(key)
  }

  stop(): void {
    this.deadlines.stop()
    this.pending.clear()
  }

  private async run(key: string): Promise<void> {
    const job = this.pending.get(key)
    if (!job) return
    this.pending.delete(key)
    const { taskId, rule } = job
    const { shortTerm, longTerm } = this.options
    try {
      if (rule.target === 'events') {
        if (!rule.eventFilter) {
          await Promise.all([shortTerm.deleteEvents(taskId), longTerm?.deleteEvents(taskId)])
          return
        }
        const selects = selectsEvent(rule)
        const [shortEvents, longEvents] = await Promise.all([shortTerm.getEvents(taskId), longTerm?.getEvents(taskId)])
        const ids = (events: TaskEvent[]) => events.filter(selects).map((event) => event.id)
        await Promise.all([
          shortTerm.deleteEvents(taskId, ids(shortEvents)),
          longEvents && longTerm!.deleteEvents(taskId, ids(longEvents)),
        ])
      } else if (rule.target === 'task') {
        // The archive keeps the task; only the live copy goes.
        await shortTerm.deleteTask(taskId)
      } else {
        await Promise.all([shortTerm.deleteTask(taskId), longTerm?.deleteTask(taskId)])
      }
    } catch (error) {
      this.options.reportError(error, { source: 'cleanup', taskId })
    } finally {
      this.options.removed?.(taskId)
    }
  }
}
