// Reading a task's log for one reader: where its cursor (`since`) puts it, how far `limit` lets
// it go, and which accumulate deltas a late joiner gets as one snapshot.
import { TaskcastError } from './errors.js'
import type { FilteredEvent, FilteredStream } from './filtered-stream.js'
import type { SinceCursor, TaskEvent } from './types.js'

export interface ReadOptions {
  since?: SinceCursor
  limit?: number
  /** Collapse each accumulate series into one snapshot (late join without a cursor). */
  collapse?: boolean
}

export interface ReadResult {
  items: { item: FilteredEvent; snapshot: boolean }[]
  /** More events matched than `limit` allowed. */
  truncated: boolean
}

/** Whether `item` lies after the reader's cursor; `afterId` says whether `since.id` was already passed. */
function isAfterCursor(since: SinceCursor | undefined, item: FilteredEvent, afterId: boolean): boolean {
  if (!since) return true
  if (since.id !== undefined) return afterId
  if (since.index !== undefined) return item.filteredIndex > since.index
  if (since.timestamp !== undefined) return item.event.timestamp > since.timestamp
  return true
}

/**
 * Walks `log` (a task's raw events in index order) through `stream`, returning what the reader
 * gets after its cursor. The stream is left positioned after the log, ready for live events.
 * @throws TaskcastError `VALIDATION_ERROR` when `since.id` is not in the log.
 */
export function readLog(stream: FilteredStream, log: readonly TaskEvent[], options: ReadOptions = {}): ReadResult {
  const { since, limit } = options
  let idPassed = since?.id === undefined
  if (!idPassed && !log.some((event) => event.id === since!.id)) {
    throw new TaskcastError('VALIDATION_ERROR', `since.id ${since!.id} is not an event of this task`)
  }
  const collapse = options.collapse === true && !since
  const lastOfSeries = collapse ? lastAccumulateEvents(stream, log) : undefined
  const items: ReadResult['items'] = []
  let truncated = false
  for (const event of log) {
    const item = stream.accept(event)
    if (item && !truncated && isAfterCursor(since, item, idPassed)) {
      let snapshot = false
      if (lastOfSeries && event.seriesMode === 'accumulate' && event.seriesId !== undefined) {
        if (lastOfSeries.get(event.seriesId) !== event.index) continue
        item.data = stream.seriesValue(event.seriesId)
        snapshot = true
      }
      if (limit !== undefined && items.length >= limit) truncated = true
      else items.push({ item, snapshot })
    }
    if (!idPassed && event.id === since!.id) idPassed = true
  }
  return { items, truncated }
}

/** For each accumulate series, the raw index of its last event the reader's filter selects. */
function lastAccumulateEvents(stream: FilteredStream, log: readonly TaskEvent[]): Map<string, number> {
  const last = new Map<string, number>()
  for (const event of log) {
    if (event.seriesMode === 'accumulate' && event.seriesId !== undefined && stream.matches(event)) {
      last.set(event.seriesId, event.index)
    }
  }
  return last
}
