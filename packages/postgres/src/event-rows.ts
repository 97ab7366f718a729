// How a batch of events becomes rows: one per plain event, one per compacted series (with the
// places of the series' other events), then the multi-row upsert statements.
import type { Level, TaskEvent } from '@taskcast/core'
import type { TableNames } from './identifiers.js'
import { toTextColumn } from './text-column.js'

/** Rows per INSERT statement: 12 parameters each keeps a statement far below pg's 65,535. */
export const MAX_ROWS_PER_STATEMENT = 500

const COLUMNS = 'task_id, idx, id, type, level, "timestamp", series_id, series_mode, data, event, superseded, collapsed'
const COLUMN_COUNT = 12
const JSON_SLOTS = new Set([8, 9, 11])

/** Consecutive indexes of one series' replaced events sharing a type (as stored in `type`) and level. */
export type Run = [from: number, to: number, type: string, level: Level]

/** What one batch holds of one compacted series: its newest event, and the places of the others. */
export interface SeriesRow {
  event: TaskEvent
  /** A copy of the newest event said a newer one replaced it (`superseded`). */
  superseded: boolean
  collapsed: Run[]
}

/** Accumulate and latest series are stored as one row per series (the partial unique index). */
export function isCompactedSeries(event: TaskEvent): boolean {
  return event.seriesId !== undefined && (event.seriesMode === 'accumulate' || event.seriesMode === 'latest')
}

/**
 * Runs of consecutive indexes with the same type and level, ascending. The same index given
 * twice counts once.
 */
export function toRuns(places: readonly { index: number; type: string; level: Level }[]): Run[] {
  const sorted = [...places].sort((a, b) => a.index - b.index)
  const runs: Run[] = []
  /** The last run of each type and level. */
  const open = new Map<string, Run>()
  for (const { index, type, level } of sorted) {
    const stored = toTextColumn(type)
    const key = JSON.stringify([stored, level])
    const run = open.get(key)
    if (run && index <= run[1] + 1) run[1] = Math.max(run[1], index)
    else {
      const started: Run = [index, index, stored, level]
      runs.push(started)
      open.set(key, started)
    }
  }
  return runs
}

/**
 * Plain events (one per id, the last copy winning) and one row per compacted series (its
 * highest index; a data-carrying copy of it over a placeholder, but a placeholder of it
 * marks it superseded), because one INSERT ... ON CONFLICT may not touch the same row twice.
 */
export function rowsOfBatch(events: readonly TaskEvent[]): { plain: TaskEvent[]; series: SeriesRow[] } {
  const plain = new Map<string, TaskEvent>()
  const series = new Map<string, Map<number, { event: TaskEvent; superseded: boolean }>>()
  for (const event of events) {
    if (!isCompactedSeries(event)) {
      // Delete first so the map's order is that of the last occurrences.
      plain.delete(event.id)
      plain.set(event.id, event)
      continue
    }
    const key = JSON.stringify([event.taskId, event.seriesId])
    let byIndex = series.get(key)
    if (!byIndex) series.set(key, (byIndex = new Map()))
    const seen = byIndex.get(event.index)
    const superseded = event.superseded === true || seen?.superseded === true
    byIndex.set(event.index, { event: event.superseded && seen ? seen.event : event, superseded })
  }
  const rows: SeriesRow[] = []
  for (const byIndex of series.values()) {
    const newest = Math.max(...byIndex.keys())
    const { event, superseded } = byIndex.get(newest)!
    const others = [...byIndex.values()].filter((item) => item.event.index !== newest).map((item) => item.event)
    rows.push({ event, superseded, collapsed: toRuns(others) })
  }
  return { plain: [...plain.values()], series: rows }
}

function rowParams(event: TaskEvent, superseded = false, collapsed: Run[] = []): unknown[] {
  const { data, superseded: _superseded, ...rest } = event
  return [
    event.taskId,
    event.index,
    event.id,
    toTextColumn(event.type),
    event.level,
    event.timestamp,
    event.seriesId === undefined ? null : toTextColumn(event.seriesId),
    event.seriesMode ?? null,
    // SQL NULL for an absent value (or a replaced one), so that reads can tell it from JSON null.
    data === undefined || superseded ? null : JSON.stringify(data),
    // Stringified here: pg would turn a JS array into a PostgreSQL array literal.
    JSON.stringify(rest),
    superseded,
    collapsed.length === 0 ? null : JSON.stringify(collapsed),
  ]
}

function valuesList(rows: readonly unknown[][], params: unknown[]): string {
  return rows
    .map((row) => {
      const first = params.length
      params.push(...row)
      const slots = Array.from({ length: COLUMN_COUNT }, (_, i) => `$${first + i + 1}${JSON_SLOTS.has(i) ? '::json' : ''}`)
      return `(${slots.join(', ')})`
    })
    .join(',\n')
}

/** The row's own column when the incoming event is not older, else the stored one. */
const forward = (column: string) => `${column} = CASE WHEN EXCLUDED.idx >= e.idx THEN EXCLUDED.${column} ELSE e.${column} END`

/**
 * The series upsert. The row moves to the incoming event when it is newer (the event it held
 * joins `collapsed`), never back (an older incoming event only joins `collapsed`); the same
 * event again refreshes it, unless either copy is superseded. So the result depends only on
 * the set of events given, not on their order or repetition.
 */
function seriesUpsert(names: TableNames, values: string): string {
  return `INSERT INTO ${names.events} AS e (${COLUMNS}) VALUES
${values}
ON CONFLICT (task_id, series_id) WHERE series_mode IN ('accumulate', 'latest')
DO UPDATE SET idx = GREATEST(e.idx, EXCLUDED.idx), ${['id', 'type', 'level', '"timestamp"', 'series_mode', 'event'].map(forward).join(', ')},
  superseded = CASE WHEN EXCLUDED.idx > e.idx THEN EXCLUDED.superseded WHEN EXCLUDED.idx < e.idx THEN e.superseded
    ELSE e.superseded OR EXCLUDED.superseded END,
  data = CASE WHEN EXCLUDED.idx > e.idx THEN EXCLUDED.data WHEN EXCLUDED.idx < e.idx THEN e.data
    WHEN e.superseded OR EXCLUDED.superseded THEN NULL ELSE EXCLUDED.data END,
  collapsed = ${names.mergeRuns}(${names.mergeRuns}(e.collapsed, EXCLUDED.collapsed), CASE
    WHEN EXCLUDED.idx > e.idx THEN json_build_array(json_build_array(e.idx, e.idx, e.type, e.level))
    WHEN EXCLUDED.idx < e.idx THEN json_build_array(json_build_array(EXCLUDED.idx, EXCLUDED.idx, EXCLUDED.type, EXCLUDED.level))
  END)`
}

const UPDATE_PLAIN = `task_id = EXCLUDED.task_id, idx = EXCLUDED.idx, series_id = EXCLUDED.series_id, type = EXCLUDED.type,
  level = EXCLUDED.level, "timestamp" = EXCLUDED."timestamp", series_mode = EXCLUDED.series_mode, data = EXCLUDED.data,
  event = EXCLUDED.event`

/**
 * The statements that upsert one batch, each of at most {@link MAX_ROWS_PER_STATEMENT} rows.
 *
 * Plain and keep-all events are upserted by id, so a resent batch changes nothing. A
 * compacted series row is upserted on (task_id, series_id) (see `seriesUpsert`). When a
 * chunk holds both kinds, the series upsert runs as a data-modifying CTE of the same
 * statement (PostgreSQL always runs those to completion), keeping one round trip; the two
 * parts touch disjoint rows.
 */
export function upsertEventsStatements(names: TableNames, events: readonly TaskEvent[]): { text: string; values: unknown[] }[] {
  const { plain, series } = rowsOfBatch(events)
  const rows = [
    ...plain.map((event) => ({ series: false, params: rowParams(event) })),
    ...series.map((row) => ({ series: true, params: rowParams(row.event, row.superseded, row.collapsed) })),
  ]
  return chunk(rows, MAX_ROWS_PER_STATEMENT).map((slice) => {
    const values: unknown[] = []
    const seriesRows = slice.filter((row) => row.series).map((row) => row.params)
    const plainRows = slice.filter((row) => !row.series).map((row) => row.params)
    const seriesPart = seriesRows.length === 0 ? undefined : seriesUpsert(names, valuesList(seriesRows, values))
    const plainPart =
      plainRows.length === 0
        ? undefined
        : `INSERT INTO ${names.events} AS e (${COLUMNS}) VALUES
${valuesList(plainRows, values)}
ON CONFLICT (id) DO UPDATE SET ${UPDATE_PLAIN}`
    const text =
      seriesPart !== undefined && plainPart !== undefined
        ? `WITH series_upsert AS (\n${seriesPart}\n)\n${plainPart}`
        : (seriesPart ?? plainPart ?? '')
    return { text, values }
  })
}

/** Splits `items` into consecutive slices of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = []
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size))
  return chunks
}
