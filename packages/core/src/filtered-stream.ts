// Turns a task's raw event log into what one reader sees: filtered, numbered, in its series format.
// The same object walks history and then live events, which is what keeps filteredIndex stable.
import { TaskcastError } from './errors.js'
import { compileFilter, type EventPredicate } from './filter.js'
import { SeriesAccumulator } from './series.js'
import { isTerminalStatus } from './state-machine.js'
import type {
  EventFilter,
  SeriesFormat,
  SinceCursor,
  SSEEnvelope,
  StatusEventData,
  TaskEvent,
  TaskStatus,
} from './types.js'
import { STATUS_EVENT_TYPE } from './types.js'

export interface FilteredStreamOptions {
  seriesFormat?: SeriesFormat
  /** Track running values even in delta format (needed to build late-join snapshots). */
  trackSeries?: boolean
}

/** A matching event with its position in the reader's filtered sequence. */
export interface FilteredEvent {
  event: TaskEvent
  filteredIndex: number
  /** The event's data in the reader's series format. */
  data: unknown
}

/** The terminal status a `taskcast:status` event announces, if any. */
export function terminalStatusOf(event: TaskEvent): TaskStatus | undefined {
  if (event.type !== STATUS_EVENT_TYPE) return undefined
  const status = (event.data as StatusEventData | null)?.status
  return status !== undefined && isTerminalStatus(status) ? status : undefined
}

export class FilteredStream {
  private readonly matches_: EventPredicate
  /** Created with the first accumulate event: most readers never see one. */
  private accumulator: SeriesAccumulator | undefined
  private readonly tracksSeries: boolean
  private readonly accumulated: boolean
  /** Matching events seen so far, placeholders included: the next filteredIndex. */
  filteredCount = 0
  /** Raw index the next event must have. */
  nextIndex = 0
  /** Id of the event at `nextIndex - 1`: a later read of the log must still have it there. */
  lastId: string | undefined
  /** Set once a terminal status event went by. */
  doneStatus: TaskStatus | undefined

  constructor(filter: EventFilter = {}, options: FilteredStreamOptions = {}) {
    this.matches_ = compileFilter(filter)
    this.accumulated = options.seriesFormat === 'accumulated'
    this.tracksSeries = this.accumulated || options.trackSeries === true
  }

  /** Feeds the next raw event; returns it when the reader should see it. */
  accept(event: TaskEvent): FilteredEvent | undefined {
    this.nextIndex = event.index + 1
    this.lastId = event.id
    const running =
      this.tracksSeries && event.seriesMode === 'accumulate' ? (this.accumulator ??= new SeriesAccumulator()).add(event) : undefined
    this.doneStatus ??= terminalStatusOf(event)
    if (!this.matches_(event)) return undefined
    const filteredIndex = this.filteredCount++
    if (event.superseded) return undefined
    return { event, filteredIndex, data: this.accumulated && running !== undefined ? running : event.data }
  }

  /** Whether the reader's filter selects `event` (regardless of cursors). */
  matches(event: TaskEvent): boolean {
    return this.matches_(event)
  }

  seriesValue(seriesId: string): unknown {
    return this.accumulator?.get(seriesId)
  }
}

export function toEnvelope(item: FilteredEvent, seriesSnapshot = false): SSEEnvelope {
  const { event } = item
  const envelope: SSEEnvelope = {
    filteredIndex: item.filteredIndex,
    rawIndex: event.index,
    eventId: event.id,
    taskId: event.taskId,
    type: event.type,
    timestamp: event.timestamp,
    level: event.level,
    data: item.data,
  }
  if (event.seriesId !== undefined) envelope.seriesId = event.seriesId
  if (event.seriesMode !== undefined) envelope.seriesMode = event.seriesMode
  if (event.seriesAccField !== undefined) envelope.seriesAccField = event.seriesAccField
  if (seriesSnapshot) envelope.seriesSnapshot = true
  return envelope
}

// The reader-independent part of an envelope's JSON (everything after filteredIndex), so that an
// event is serialized once however many readers get it. Live events reach their readers back to
// back: the last one is remembered. Replayed events are kept by their data object, for as long
// as that object lives (late joiners of one task replay the same stored events).
interface Tail {
  /** The envelope the text was made from; a later envelope with the same fields shares it. */
  source: SSEEnvelope
  text: string
}
let lastTail: Tail | undefined
const keptTails = new WeakMap<object, Tail>()
const INDEX_KEY = '{"filteredIndex":'

/** Whether two envelopes agree on everything but filteredIndex (reference equality for data). */
function sameTail(a: SSEEnvelope, b: SSEEnvelope): boolean {
  return (
    a.eventId === b.eventId &&
    a.data === b.data &&
    a.rawIndex === b.rawIndex &&
    a.type === b.type &&
    a.timestamp === b.timestamp &&
    a.level === b.level &&
    a.taskId === b.taskId &&
    a.seriesId === b.seriesId &&
    a.seriesMode === b.seriesMode &&
    a.seriesAccField === b.seriesAccField &&
    a.seriesSnapshot === b.seriesSnapshot
  )
}

/**
 * `JSON.stringify(envelope)` for an envelope with toEnvelope's fields, with the part that does
 * not depend on the reader serialized once per event: further readers of the same event only
 * add their own `filteredIndex`. With `keep`, that part stays cached with the event's data
 * object as long as it lives (use it for history replays, which tend to be repeated).
 */
export function envelopeJson(envelope: SSEEnvelope, keep = false): string {
  const { data } = envelope
  const boxed = typeof data === 'object' && data !== null
  let tail = lastTail
  if (!tail || !sameTail(tail.source, envelope)) {
    tail = boxed ? keptTails.get(data) : undefined
    if (tail && !sameTail(tail.source, envelope)) tail = undefined
  }
  if (tail) {
    lastTail = tail
    const index = envelope.filteredIndex
    return `{"filteredIndex":${Number.isInteger(index) ? index : JSON.stringify(index)},${tail.text}`
  }
  // One JSON.stringify gives flat text, which is cheaper to write out than a tree of concatenations.
  const json = JSON.stringify(envelope)
  // Envelopes from toEnvelope start with filteredIndex; anything else is simply not shared.
  const comma = json.startsWith(INDEX_KEY) ? json.indexOf(',', INDEX_KEY.length) : -1
  if (comma > 0) {
    lastTail = { source: envelope, text: json.slice(comma + 1) }
    if (keep && boxed) keptTails.set(data, lastTail)
  }
  return json
}

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
