// In-process long-term store: the archive semantics without a database (tests, demos).
import { isTerminalStatus } from '../state-machine.js'
import type { LongTermStore } from '../storage/long-term-store.js'
import type { EventRange } from '../storage/short-term-store.js'
import type { Level, Task, TaskEvent } from '../types.js'

/** One compacted series: its newest event, and the skeleton of every other one given. */
interface SeriesRow {
  row: TaskEvent
  skeleton: Map<number, { type: string; level: Level }>
}

interface TaskRows {
  /** Events outside compacted series, by id. */
  plain: Map<string, TaskEvent>
  /** Accumulate and latest series, by series id. */
  series: Map<string, SeriesRow>
}

function isCompacted(event: TaskEvent): boolean {
  return event.seriesId !== undefined && (event.seriesMode === 'accumulate' || event.seriesMode === 'latest')
}

/** A copy of `event` as a series row: superseded rows keep no data. */
function asRow(event: TaskEvent, superseded: boolean): TaskEvent {
  const { superseded: _superseded, ...rest } = structuredClone(event)
  return superseded ? { ...rest, data: null, superseded: true } : rest
}

export class MemoryLongTermStore implements LongTermStore {
  private readonly tasks = new Map<string, Task>()
  private readonly events = new Map<string, TaskRows>()

  async saveTask(task: Task): Promise<void> {
    const stored = this.tasks.get(task.id)
    // Terminal states never change: a late non-terminal snapshot is an older one.
    if (stored && isTerminalStatus(stored.status) && !isTerminalStatus(task.status)) return
    this.tasks.set(task.id, structuredClone(task))
  }

  async saveEvents(events: TaskEvent[]): Promise<void> {
    for (const event of events) {
      let rows = this.events.get(event.taskId)
      if (!rows) this.events.set(event.taskId, (rows = { plain: new Map(), series: new Map() }))
      if (isCompacted(event)) this.merge(rows, event)
      else rows.plain.set(event.id, asRow(event, false))
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
    for (const { row, skeleton } of rows.series.values()) {
      if (within(row.index)) out.push(structuredClone(row))
      for (const [index, { type, level }] of skeleton) {
        if (within(index)) out.push({ ...structuredClone(row), id: `${taskId}:${index}`, index, type, level, data: null, superseded: true })
      }
    }
    return out.sort((a, b) => a.index - b.index)
  }

  async deleteTask(taskId: string): Promise<boolean> {
    const rows = this.events.get(taskId)
    const held = rows !== undefined && rows.plain.size + rows.series.size > 0
    this.events.delete(taskId)
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

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  /** Folds one event of a compacted series into its row: forward only, the rest as skeleton. */
  private merge(rows: TaskRows, event: TaskEvent): void {
    const seriesId = event.seriesId!
    const current = rows.series.get(seriesId)
    const superseded = event.superseded === true
    if (!current) {
      rows.series.set(seriesId, { row: asRow(event, superseded), skeleton: new Map() })
      return
    }
    const { row, skeleton } = current
    if (event.index > row.index) {
      skeleton.set(row.index, { type: row.type, level: row.level })
      skeleton.delete(event.index)
      current.row = asRow(event, superseded)
    } else if (event.index < row.index) {
      skeleton.set(event.index, { type: event.type, level: event.level })
    } else {
      // The same event again: a refresh, unless either copy says a newer one replaced it.
      current.row = asRow(event, superseded || row.superseded === true)
    }
  }
}
