// How the archive compacts an accumulate or latest series (see LongTermStore): one row holding
// the series' newest event, and the skeleton (index, type, level) of every other event given.
// The rule for archives that keep their rows in JavaScript (memory, SQLite).
import type { Level, TaskEvent } from './types.js'

/** One compacted series of the archive. */
export interface ArchivedSeries {
  /** The newest event given; `superseded` (without data) once told a newer one replaced it. */
  row: TaskEvent
  /** The places of the series' other events, by index. */
  skeleton: Map<number, { type: string; level: Level }>
}

/** Accumulate and latest series are kept as one row each; keep-all events stay whole. */
export function isCompactedSeries(event: TaskEvent): boolean {
  return event.seriesId !== undefined && (event.seriesMode === 'accumulate' || event.seriesMode === 'latest')
}

/** A copy of an event outside compacted series as the archive keeps it (a `superseded` flag does not apply to it). */
export function archivedPlainEvent(event: TaskEvent): TaskEvent {
  return asRow(event, false)
}

/** A copy of `event` as a series row: a superseded row keeps no data. */
function asRow(event: TaskEvent, superseded: boolean): TaskEvent {
  const { superseded: _superseded, ...rest } = structuredClone(event)
  return superseded ? { ...rest, data: null, superseded: true } : rest
}

/**
 * Folds one event of a compacted series into its row: forward only (a newer event takes the
 * row, the one it held joins the skeleton), an older one only adds its place, and the same
 * event again refreshes the row unless either copy says a newer one replaced it. The result
 * depends only on the set of events given, not on their order. Changes `current` in place.
 */
export function mergeArchivedSeries(current: ArchivedSeries | undefined, event: TaskEvent): ArchivedSeries {
  const superseded = event.superseded === true
  if (!current) return { row: asRow(event, superseded), skeleton: new Map() }
  const { row, skeleton } = current
  if (event.index > row.index) {
    skeleton.set(row.index, { type: row.type, level: row.level })
    skeleton.delete(event.index)
    current.row = asRow(event, superseded)
  } else if (event.index < row.index) {
    skeleton.set(event.index, { type: event.type, level: event.level })
  } else {
    current.row = asRow(event, superseded || row.superseded === true)
  }
  return current
}

/**
 * What reads return for a series: its row and a placeholder per place of the skeleton, those
 * whose index passes `within`, as copies. A placeholder has its own index, type and level, the
 * row's other fields, no data, and the id `<taskId>:<index>`.
 */
export function archivedSeriesEvents(series: ArchivedSeries, within: (index: number) => boolean): TaskEvent[] {
  const { row, skeleton } = series
  const out: TaskEvent[] = []
  if (within(row.index)) out.push(structuredClone(row))
  for (const [index, { type, level }] of skeleton) {
    if (within(index)) out.push({ ...structuredClone(row), id: `${row.taskId}:${index}`, index, type, level, data: null, superseded: true })
  }
  return out
}
