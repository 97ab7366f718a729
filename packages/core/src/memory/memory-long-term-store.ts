// In-process long-term store: the archive semantics without a database (tests, demos).
import type { LongTermStore } from '../storage/long-term-store.js'
import type { EventRange } from '../storage/short-term-store.js'
import type { Task, TaskEvent } from '../types.js'

export class MemoryLongTermStore implements LongTermStore {
  private readonly tasks = new Map<string, Task>()
  /** Per task: rows keyed by event id, or by series for compacted series. */
  private readonly events = new Map<string, Map<string, TaskEvent>>()

  async saveTask(task: Task): Promise<void> {
    this.tasks.set(task.id, structuredClone(task))
  }

  async saveEvents(events: TaskEvent[]): Promise<void> {
    for (const event of events) {
      let rows = this.events.get(event.taskId)
      if (!rows) this.events.set(event.taskId, (rows = new Map()))
      const compacted = event.seriesId !== undefined && (event.seriesMode === 'accumulate' || event.seriesMode === 'latest')
      rows.set(compacted ? `series:${event.seriesId}` : `id:${event.id}`, structuredClone(event))
    }
  }

  async getTask(taskId: string): Promise<Task | null> {
    const task = this.tasks.get(taskId)
    return task ? structuredClone(task) : null
  }

  async getEvents(taskId: string, range: EventRange = {}): Promise<TaskEvent[]> {
    const rows = this.events.get(taskId)
    if (!rows) return []
    const from = range.fromIndex ?? 0
    const to = range.toIndex ?? Number.POSITIVE_INFINITY
    return [...rows.values()].filter((e) => e.index >= from && e.index <= to).sort((a, b) => a.index - b.index)
  }

  async deleteTask(taskId: string): Promise<boolean> {
    this.events.delete(taskId)
    return this.tasks.delete(taskId)
  }

  async deleteEvents(taskId: string, eventIds?: string[]): Promise<number> {
    const rows = this.events.get(taskId)
    if (!rows) return 0
    if (eventIds === undefined) {
      this.events.delete(taskId)
      return rows.size
    }
    const doomed = new Set(eventIds)
    let removed = 0
    for (const [key, event] of rows) {
      if (doomed.has(event.id)) {
        rows.delete(key)
        removed++
      }
    }
    return removed
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
