// How a UI message chunk travels as a Taskcast event, the one format both sides read: every
// chunk is an `ai.chunk` event whose data is the chunk itself. The deltas of each text,
// reasoning and tool-input part form an accumulate series, whose running value is again a
// valid delta chunk (the part's whole text so far), so the snapshot a late joiner gets in
// place of thousands of deltas passes through to the AI SDK unchanged.
import type { PublishEventInput } from '@taskcast/core'
import type { UIMessageChunk } from 'ai'

/** The type of every event that carries a UI message chunk. */
export const AI_CHUNK_TYPE = 'ai.chunk'

/** For each delta chunk: the chunk that opens its part, the key that names the part, and the field concatenated. */
const DELTA_PARTS = {
  'text-delta': { opener: 'text-start', kind: 'text', field: 'delta' },
  'reasoning-delta': { opener: 'reasoning-start', kind: 'reasoning', field: 'delta' },
  'tool-input-delta': { opener: 'tool-input-start', kind: 'tool-input', field: 'inputTextDelta' },
} as const

type DeltaType = keyof typeof DELTA_PARTS
const OPENERS = new Map<string, DeltaType>(Object.entries(DELTA_PARTS).map(([delta, { opener }]) => [opener, delta as DeltaType]))

/** The id a chunk gives its part: text and reasoning parts have `id`, tool calls `toolCallId`. */
function partKey(chunk: UIMessageChunk): string {
  return 'toolCallId' in chunk ? chunk.toolCallId : 'id' in chunk && typeof chunk.id === 'string' ? chunk.id : ''
}

/**
 * Turns the chunks of one UI message stream, in order, into the events to publish. Each part
 * gets a series of its own, numbered in the order parts open: a model may reuse a part id in a
 * later step (`'0'` again), and one series over both parts would give a late joiner the text of
 * both in the second.
 */
export class ChunkEncoder {
  private opened = 0
  /** The series of each open part, by delta type and part id. */
  private readonly series = new Map<string, string>()

  encode(chunk: UIMessageChunk): PublishEventInput {
    const opens = OPENERS.get(chunk.type)
    if (opens !== undefined) {
      this.series.set(`${opens}:${partKey(chunk)}`, `ai.${DELTA_PARTS[opens].kind}.${this.opened++}`)
      return { type: AI_CHUNK_TYPE, data: chunk }
    }
    const part = DELTA_PARTS[chunk.type as DeltaType] as (typeof DELTA_PARTS)[DeltaType] | undefined
    if (part === undefined) return { type: AI_CHUNK_TYPE, data: chunk }
    const key = `${chunk.type}:${partKey(chunk)}`
    // A delta whose part never opened (a hand-written stream may skip the start chunk) still
    // gets one series per id.
    let seriesId = this.series.get(key)
    if (seriesId === undefined) {
      seriesId = `ai.${part.kind}.${this.opened++}`
      this.series.set(key, seriesId)
    }
    return { type: AI_CHUNK_TYPE, data: chunk, seriesId, seriesMode: 'accumulate', seriesAccField: part.field }
  }
}
