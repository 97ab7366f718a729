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
  /**
   * The position of the log's first event in the whole log, when the log given is its end
   * (read from the reader's cursor). Only with a stream that may `assumePassed`.
   */
  offset?: number
}

export interface ReadItem {
  item: FilteredEvent
  snapshot: boolean
}

export interface ReadResult {
  items: ReadItem[]
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
 * Walks `log` (a task's raw events in index order) through `stream`, one reader's item at a
 * time: a replay paced by its reader holds a position in a log it may share with every other
 * reader, never a copy of what it has still to send. Once `next()` answers `undefined`, the
 * stream is positioned after the log, ready for live events (unless `truncated`).
 */
export class LogReader {
  /** More events matched than `limit` allowed; known once `next()` has answered `undefined`. */
  truncated = false
  /** Where the walk goes on; a cursor's events before it were passed over without a look at each. */
  private position = 0
  private delivered = 0
  private idPassed: boolean
  private readonly since: SinceCursor | undefined
  private readonly lastOfSeries: Map<string, number> | undefined

  /** @throws TaskcastError `VALIDATION_ERROR` when `since.id` is not in the log. */
  constructor(
    private readonly stream: FilteredStream,
    private readonly log: readonly TaskEvent[],
    private readonly options: ReadOptions = {},
  ) {
    this.since = options.since
    if (options.offset) stream.assumePassed(options.offset)
    const sinceId = this.since?.id
    this.idPassed = sinceId === undefined
    if (sinceId !== undefined) {
      // Readers resume near the end: the cursor is looked for from there.
      const at = lastPositionOf(log, sinceId)
      if (at < 0) throw new TaskcastError('VALIDATION_ERROR', `since.id ${sinceId} is not an event of this task`)
      if (stream.canPass) {
        stream.pass(log, 0, at + 1)
        this.position = at + 1
        this.idPassed = true
      }
    } else if (this.since?.index !== undefined) {
      stream.startAfter(this.since.index)
      if (stream.canPass) this.position = stream.passMatching(log, 0, this.since.index + 1)
    }
    this.lastOfSeries = options.collapse === true && !this.since ? lastAccumulateEvents(stream, log) : undefined
  }

  /** The reader's next item, or `undefined` at the end of the log (or of `limit`). */
  next(): ReadItem | undefined {
    const { log, stream, since, lastOfSeries } = this
    while (this.position < log.length && !this.truncated) {
      const event = log[this.position++]!
      const item = stream.accept(event)
      const afterId = this.idPassed
      if (!this.idPassed && event.id === since!.id) this.idPassed = true
      if (!item || !isAfterCursor(since, item, afterId)) continue
      let snapshot = false
      if (lastOfSeries && event.seriesMode === 'accumulate' && event.seriesId !== undefined) {
        if (lastOfSeries.get(event.seriesId) !== event.index) continue
        item.data = stream.seriesValue(event.seriesId)
        snapshot = true
      }
      if (this.options.limit !== undefined && this.delivered >= this.options.limit) {
        this.truncated = true
        return undefined
      }
      this.delivered++
      return { item, snapshot }
    }
    return undefined
  }
}

/**
 * Everything `LogReader` gives for `log`, at once (history answers, tests).
 * @throws TaskcastError `VALIDATION_ERROR` when `since.id` is not in the log.
 */
export function readLog(stream: FilteredStream, log: readonly TaskEvent[], options: ReadOptions = {}): ReadResult {
  const reader = new LogReader(stream, log, options)
  const items: ReadItem[] = []
  for (let next = reader.next(); next; next = reader.next()) items.push(next)
  return { items, truncated: reader.truncated }
}

function lastPositionOf(log: readonly TaskEvent[], id: string): number {
  for (let at = log.length - 1; at >= 0; at--) if (log[at]!.id === id) return at
  return -1
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
