// The logs of finished tasks that readers are still walking, for the readers that join after.
// A finished task's log no longer grows, so a late joiner may walk the copy another reader
// holds instead of reading (and holding) one of its own: a crowd joining a finished task over
// a few seconds then costs one copy of its log, not one per reader.
//
// A copy is only ever found for the same incarnation of the task (its `createdAt`), and it is
// dropped when this process deletes the task or some of its events; events a cleanup on another
// process removes meanwhile may still reach a reader that joins while the copy is held, as they
// would had it connected a moment earlier.
import { isTerminalStatus } from '../state-machine.js'
import type { Task, TaskEvent } from '../types.js'

/** Weakly: the readers walking the events keep them alive, not this table. */
interface HeldLog {
  createdAt: number
  events: WeakRef<TaskEvent[]>
}

export class FinishedLogs {
  private readonly held = new Map<string, HeldLog>()
  /** Forgets an entry once nobody holds its log any more. */
  private readonly collected = new FinalizationRegistry<string>((taskId) => {
    if (this.held.get(taskId)?.events.deref() === undefined) this.held.delete(taskId)
  })

  /** The log of `task` a reader still holds, when `task` is finished. */
  get(task: Task): TaskEvent[] | undefined {
    if (!isTerminalStatus(task.status)) return undefined
    const log = this.held.get(task.id)
    return log?.createdAt === task.createdAt ? log.events.deref() : undefined
  }

  /** Offers the log of `task` just read to later joiners, when `task` is finished. */
  offer(task: Task, events: TaskEvent[]): void {
    if (!isTerminalStatus(task.status) || events.length === 0) return
    this.held.set(task.id, { createdAt: task.createdAt, events: new WeakRef(events) })
    this.collected.register(events, task.id)
  }

  drop(taskId: string): void {
    this.held.delete(taskId)
  }
}
