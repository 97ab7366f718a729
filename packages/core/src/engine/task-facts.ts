// What the engine remembers of tasks: what never changes after a task's creation (type, rules,
// and `createdAt`, which names the incarnation). A publish checked against these needs no read
// of the task (the store's append confirms the incarnation, `AppendExpectation`, in the same
// atomic step); the watchers of every task get them with each event.
import type { Task } from '../types.js'

/** A task's facts that never change after its creation. */
export type TaskFacts = Pick<Task, 'id' | 'type' | 'createdAt' | 'authConfig'>

/** Tasks remembered at most. */
const TASK_FACTS_LIMIT = 10_000

export class TaskFactsCache {
  private readonly facts = new Map<string, TaskFacts>()

  /** No reordering on a hit (this is on every publish): past the limit the oldest remembered goes, and is read again when next needed. */
  get(taskId: string): TaskFacts | undefined {
    return this.facts.get(taskId)
  }

  /** Remembers the facts of `task` (a task, or facts from its creation notice); returns them. */
  remember(task: TaskFacts): TaskFacts {
    const facts: TaskFacts = { id: task.id, type: task.type, createdAt: task.createdAt, authConfig: task.authConfig }
    this.facts.delete(task.id)
    this.facts.set(task.id, facts)
    if (this.facts.size > TASK_FACTS_LIMIT) this.facts.delete(this.facts.keys().next().value!)
    return facts
  }

  forget(taskId: string): void {
    this.facts.delete(taskId)
  }

  clear(): void {
    this.facts.clear()
  }
}
