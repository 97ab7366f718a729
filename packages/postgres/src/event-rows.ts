// How a batch of events becomes rows: dropping duplicates, then the multi-row upsert statements.
import type { TaskEvent } from '@taskcast/core'
import type { TableNames } from './identifiers.js'

/** Rows per INSERT statement: 10 parameters each keeps a statement far below pg's 65,535. */
export const MAX_ROWS_PER_STATEMENT = 500

const COLUMNS = 'task_id, idx, id, type, level, "timestamp", series_id, series_mode, data, event'
const COLUMN_COUNT = 10

/** Accumulate and latest series are stored as one row per series (the partial unique index). */
export function isCompactedSeries(event: TaskEvent): boolean {
  return event.seriesId !== undefined && (event.seriesMode === 'accumulate' || event.seriesMode === 'latest')
}

/**
 * One event per id (the last occurrence wins) and one per compacted series (the highest
 * index wins, the later one on a tie), because one INSERT ... ON CONFLICT may not touch the
 * same row twice. Placeholders of superseded `latest` events carry no data and are dropped:
 * the series' newer event is the one to keep.
 */
export function dedupeEvents(events: readonly TaskEvent[]): TaskEvent[] {
  const byId = new Map<string, TaskEvent>()
  for (const event of events) {
    if (event.superseded) continue
    // Delete first so the map's order is that of the last occurrences.
    byId.delete(event.id)
    byId.set(event.id, event)
  }
  const bySeries = new Map<string, TaskEvent>()
  const result: TaskEvent[] = []
  for (const event of byId.values()) {
    if (!isCompactedSeries(event)) {
      result.push(event)
      continue
    }
    const key = JSON.stringify([event.taskId, event.seriesId])
    const kept = bySeries.get(key)
    if (kept === undefined || kept.index <= event.index) bySeries.set(key, event)
  }
  return [...result, ...bySeries.values()]
}

function rowParams(event: TaskEvent): unknown[] {
  const { data, superseded: _superseded, ...rest } = event
  return [
    event.taskId,
    event.index,
    event.id,
    event.type,
    event.level,
    event.timestamp,
    event.seriesId ?? null,
    event.seriesMode ?? null,
    // SQL NULL for an absent value, so that reads can tell it from JSON null.
    data === undefined ? null : JSON.stringify(data),
    // Stringified here: pg would turn a JS array into a PostgreSQL array literal.
    JSON.stringify(rest),
  ]
}

function valuesList(events: readonly TaskEvent[], params: unknown[]): string {
  return events
    .map((event) => {
      const first = params.length
      params.push(...rowParams(event))
      const slots = Array.from({ length: COLUMN_COUNT }, (_, i) => `$${first + i + 1}`)
      slots[8] += '::jsonb'
      slots[9] += '::jsonb'
      return `(${slots.join(', ')})`
    })
    .join(',\n')
}

const UPDATE_ROW = `type = EXCLUDED.type, level = EXCLUDED.level, "timestamp" = EXCLUDED."timestamp",
  series_mode = EXCLUDED.series_mode, data = EXCLUDED.data, event = EXCLUDED.event`

/**
 * The single statement that upserts one chunk of deduplicated events.
 *
 * Plain and keep-all events are upserted by id, so a resent batch changes nothing. A
 * compacted series row is upserted on (task_id, series_id) and moves to the newer event;
 * the guard on idx keeps a late resend of an older batch from moving it back. When a chunk
 * holds both kinds, the series upsert runs as a data-modifying CTE of the same statement
 * (PostgreSQL always runs those to completion), keeping one round trip; the two parts touch
 * disjoint rows.
 */
export function upsertEventsStatement(
  names: TableNames,
  events: readonly TaskEvent[],
): { text: string; values: unknown[] } {
  const values: unknown[] = []
  const plain = events.filter((event) => !isCompactedSeries(event))
  const series = events.filter(isCompactedSeries)
  const seriesUpsert =
    series.length === 0
      ? undefined
      : `INSERT INTO ${names.events} AS e (${COLUMNS}) VALUES
${valuesList(series, values)}
ON CONFLICT (task_id, series_id) WHERE series_mode IN ('accumulate', 'latest')
DO UPDATE SET idx = EXCLUDED.idx, id = EXCLUDED.id, ${UPDATE_ROW}
WHERE e.idx <= EXCLUDED.idx`
  const plainUpsert =
    plain.length === 0
      ? undefined
      : `INSERT INTO ${names.events} AS e (${COLUMNS}) VALUES
${valuesList(plain, values)}
ON CONFLICT (id) DO UPDATE SET task_id = EXCLUDED.task_id, idx = EXCLUDED.idx, series_id = EXCLUDED.series_id,
  ${UPDATE_ROW}`
  const text =
    seriesUpsert !== undefined && plainUpsert !== undefined
      ? `WITH series_upsert AS (\n${seriesUpsert}\n)\n${plainUpsert}`
      : (seriesUpsert ?? plainUpsert ?? '')
  return { text, values }
}

/** Splits `items` into consecutive slices of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = []
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size))
  return chunks
}
