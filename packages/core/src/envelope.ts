// The SSE envelope of an event for one reader, and its JSON, serialized once per event however
// many readers get it.
import type { FilteredEvent } from './filtered-stream.js'
import type { SSEEnvelope } from './types.js'

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
