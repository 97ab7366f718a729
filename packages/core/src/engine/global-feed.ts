// Every task's live events for the watchers of this process (`GET /events`, SPEC §21): one
// subscription to the broadcast however many watch, and for each event the facts of its task
// that never change after creation (type, auth rules), from its creation notice or read once
// per task, and kept. Creation notices (`TASK_CREATED_TYPE`) reach the watchers too.
import type { BroadcastProvider } from '../storage/broadcast-provider.js'
import type { Task, TaskCreatedData, TaskEvent } from '../types.js'
import { TASK_CREATED_TYPE, TASK_DELETED_TYPE } from '../types.js'
import { TaskFactsCache, type TaskFacts } from './task-facts.js'

/** What a watcher learns of each event's task: the parts fixed at creation. */
export type GlobalListener = (event: TaskEvent, task: TaskFacts) => void

export class GlobalFeed {
  private readonly listeners = new Set<GlobalListener>()
  private unsubscribe: (() => void) | undefined
  private readonly facts = new TaskFactsCache()
  /** Events waiting for their task's facts, in arrival order, by task. */
  private readonly waiting = new Map<string, TaskEvent[]>()

  constructor(
    private readonly broadcast: BroadcastProvider,
    private readonly readTask: (taskId: string) => Promise<Task | null>,
    private readonly reportError: (error: unknown) => void,
  ) {}

  /** Whether the broadcast can carry every task's events (`subscribeAll`). */
  get supported(): boolean {
    return this.broadcast.subscribeAll !== undefined
  }

  /** Adds a watcher; returns the function that removes it. */
  listen(listener: GlobalListener): () => void {
    if (!this.broadcast.subscribeAll) throw new Error('the broadcast provider has no subscribeAll')
    const entry: GlobalListener = (event, task) => listener(event, task)
    this.listeners.add(entry)
    this.unsubscribe ??= this.broadcast.subscribeAll((event) => this.arrive(event))
    return () => {
      if (!this.listeners.delete(entry) || this.listeners.size > 0) return
      this.unsubscribe?.()
      this.unsubscribe = undefined
      this.facts.clear()
      this.waiting.clear()
    }
  }

  private arrive(event: TaskEvent): void {
    const { taskId } = event
    if (event.type === TASK_DELETED_TYPE) {
      this.facts.forget(taskId)
      return
    }
    if (event.type === TASK_CREATED_TYPE) {
      // A new task (or a new one under a deleted task's id): its facts come with the notice.
      const { authConfig, ...shown } = event.data as TaskCreatedData
      this.waiting.delete(taskId)
      // One copy without the rules for every watcher: they are for this process, not for clients.
      return this.dispatch({ ...event, data: shown }, this.facts.remember({ id: taskId, type: shown.type, createdAt: shown.createdAt, authConfig }))
    }
    const queue = this.waiting.get(taskId)
    if (queue) {
      queue.push(event)
      return
    }
    const known = this.facts.get(taskId)
    if (known) return this.dispatch(event, known)
    this.waiting.set(taskId, [event])
    void this.readTask(taskId).then(
      (task) => this.settle(taskId, task),
      (error: unknown) => {
        this.reportError(error)
        this.settle(taskId, null)
      },
    )
  }

  /** Delivers what waited for the task's facts; a task gone meanwhile has no watchers to tell. */
  private settle(taskId: string, task: Task | null): void {
    const queue = this.waiting.get(taskId)
    this.waiting.delete(taskId)
    if (!queue || !task) return
    const facts = this.facts.remember(task)
    for (const event of queue) this.dispatch(event, facts)
  }

  private dispatch(event: TaskEvent, task: TaskFacts): void {
    for (const listener of this.listeners) {
      try {
        listener(event, task)
      } catch (error) {
        this.reportError(error)
      }
    }
  }
}
