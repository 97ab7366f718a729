// In-process long-term store: the archive semantics without a database (tests, demos).
import { archivedPlainEvent, archivedSeriesEvents, isCompactedSeries, mergeArchivedSeries, type ArchivedSeries } from '../archive-series.js'
import { isTerminalStatus } from '../state-machine.js'
import type { LongTermStore } from '../storage/long-term-store.js'
import type { EventRange } from '../storage/short-term-store.js'
import type { Task, TaskEvent } from '../types.js'
import { matchesTaskQuery, taskIdOfKey, type TaskIndexPage, type TaskIndexQuery } from '../task-list.js'
import { MemoryTaskIndex } from './memory-task-index.js'

interface TaskRows {
  /** Events outside compacted series, by id. */
  plain: Map<string, TaskEvent>
  /** Accumulate and latest series, by series id. */
  series: Map<string, ArchivedSeries>
}

export class MemoryLongTermStore implements LongTermStore {
  private readonly tasks = new Map<string, Task>()
  private readonly events = new Map<string, TaskRows>()
  private readonly index = new MemoryTaskIndex()

  async saveTask(task: Task): Promise<void> {
    const stored = this.tasks.get(task.id)
    // Terminal states never change: a late non-terminal snapshot is an older one.
    if (stored && isTerminalStatus(stored.status) && !isTerminalStatus(task.status)) return
    if (stored) this.index.remove(stored)
    const copy = structuredClone(task)
    this.tasks.set(task.id, copy)
    this.index.add(copy)
  }

  async saveEvents(events: TaskEvent[]): Promise<void> {
    for (const event of events) {
      let rows = this.events.get(event.taskId)
      if (!rows) this.events.set(event.taskId, (rows = { plain: new Map(), series: new Map() }))
      if (isCompactedSeries(event)) rows.series.set(event.seriesId!, mergeArchivedSeries(rows.series.get(event.seriesId!), event))
      else rows.plain.set(event.id, archivedPlainEvent(event))
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
    const within = (index: number) => index >= from && index <= to
    const out: TaskEvent[] = []
    for (const event of rows.plain.values()) if (within(event.index)) out.push(structuredClone(event))
    for (const series of rows.series.values()) out.push(...archivedSeriesEvents(series, within))
    return out.sort((a, b) => a.index - b.index)
  }

  async deleteTask(taskId: string): Promise<boolean> {
    const rows = this.events.get(taskId)
    const held = rows !== undefined && rows.plain.size + rows.series.size > 0
    this.events.delete(taskId)
    const task = this.tasks.get(taskId)
    if (task) this.index.remove(task)
    return this.tasks.delete(taskId) || held
  }

  async deleteEvents(taskId: string, eventIds?: string[]): Promise<number> {
    const rows = this.events.get(taskId)
    if (!rows) return 0
    if (eventIds === undefined) {
      this.events.delete(taskId)
      return rows.plain.size + rows.series.size
    }
    const doomed = new Set(eventIds)
    let removed = 0
    for (const id of doomed) if (rows.plain.delete(id)) removed++
    for (const [seriesId, { row }] of rows.series) {
      if (doomed.has(row.id)) {
        rows.series.delete(seriesId)
        removed++
      }
    }
    return removed
  }

  async listTasks(query: TaskIndexQuery): Promise<TaskIndexPage> {
    const tasks: Task[] = []
    const next = this.index.walk(query, (key) => {
      const task = this.tasks.get(taskIdOfKey(key))
      if (task && matchesTaskQuery(task, query)) tasks.push(structuredClone(task))
      return tasks.length < query.limit
    })
    return { tasks, next }
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
