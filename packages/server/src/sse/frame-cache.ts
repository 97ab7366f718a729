// Event frames shared across subscribers: when one event goes to many readers with the same
// position and format, its frame is built once and encoded once, and every connection writes
// the same bytes. Deliveries of one event run back to back (the broadcast calls every
// subscriber in turn), so remembering the last frame is enough.
import type { SSEEnvelope } from '@taskcast/core'
import { envelopeJson } from '@taskcast/core/internal'
import { EVENT_FRAME } from '@taskcast/core/wire'
import { eventFrame } from './frames.js'
import type { SseChunk } from './sse-transport.js'

const encoder = new TextEncoder()

let lastEventId: string | undefined
let lastFilteredIndex = -1
let lastData: unknown
let lastSnapshot = false
let lastWrap = true
let lastText = ''
let lastBytes: Uint8Array | undefined

/**
 * The frame of `envelope` (as `eventFrame` writes it): text the first time, the same encoded
 * bytes for every further subscriber of the event. A `replay` envelope's JSON stays cached with
 * the stored event, for the next late joiner. The envelope must come from the engine
 * (`toEnvelope`): an event id names one event, so equal ids, index, data and format mean
 * an identical frame.
 */
export function sharedEventFrame(envelope: SSEEnvelope, wrap: boolean, replay: boolean): SseChunk {
  const snapshot = envelope.seriesSnapshot === true
  if (
    envelope.eventId === lastEventId &&
    envelope.data === lastData &&
    envelope.filteredIndex === lastFilteredIndex &&
    snapshot === lastSnapshot &&
    wrap === lastWrap
  ) {
    return (lastBytes ??= encoder.encode(lastText))
  }
  lastEventId = envelope.eventId
  lastFilteredIndex = envelope.filteredIndex
  lastData = envelope.data
  lastSnapshot = snapshot
  lastWrap = wrap
  lastBytes = undefined
  // JSON never holds a raw line break, so a wrapped frame is always one data line.
  lastText = wrap
    ? `event: ${EVENT_FRAME}\nid: ${envelope.eventId}\ndata: ${envelopeJson(envelope, replay)}\n\n`
    : eventFrame(envelope, false)
  return lastText
}
