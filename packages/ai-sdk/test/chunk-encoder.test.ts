// The event each chunk becomes: deltas in one accumulate series per part (a part id reused in a
// later step starts a new series), everything else kept as it is.
import type { UIMessageChunk } from 'ai'
import { describe, expect, it } from 'vitest'
import { AI_CHUNK_TYPE, ChunkEncoder } from '../src/index.js'

const encodeAll = (chunks: UIMessageChunk[]) => {
  const encoder = new ChunkEncoder()
  return chunks.map((chunk) => encoder.encode(chunk))
}

describe('ChunkEncoder', () => {
  it('puts the deltas of each text and reasoning part into a series of its own, accumulating `delta`', () => {
    const chunks: UIMessageChunk[] = [
      { type: 'reasoning-start', id: 'r' },
      { type: 'reasoning-delta', id: 'r', delta: 'hm' },
      { type: 'text-start', id: '0' },
      { type: 'text-delta', id: '0', delta: 'a' },
      { type: 'reasoning-delta', id: 'r', delta: 'm' },
      { type: 'text-delta', id: '0', delta: 'b' },
    ]
    expect(encodeAll(chunks)).toEqual([
      { type: AI_CHUNK_TYPE, data: chunks[0] },
      { type: AI_CHUNK_TYPE, data: chunks[1], seriesId: 'ai.reasoning.0', seriesMode: 'accumulate', seriesAccField: 'delta' },
      { type: AI_CHUNK_TYPE, data: chunks[2] },
      { type: AI_CHUNK_TYPE, data: chunks[3], seriesId: 'ai.text.1', seriesMode: 'accumulate', seriesAccField: 'delta' },
      { type: AI_CHUNK_TYPE, data: chunks[4], seriesId: 'ai.reasoning.0', seriesMode: 'accumulate', seriesAccField: 'delta' },
      { type: AI_CHUNK_TYPE, data: chunks[5], seriesId: 'ai.text.1', seriesMode: 'accumulate', seriesAccField: 'delta' },
    ])
  })

  it('starts a new series when a later step reuses a part id', () => {
    const events = encodeAll([
      { type: 'text-start', id: '0' },
      { type: 'text-delta', id: '0', delta: 'first' },
      { type: 'text-end', id: '0' },
      { type: 'finish-step' },
      { type: 'start-step' },
      { type: 'text-start', id: '0' },
      { type: 'text-delta', id: '0', delta: 'second' },
    ])
    expect(events.map((event) => event.seriesId)).toEqual([undefined, 'ai.text.0', undefined, undefined, undefined, undefined, 'ai.text.1'])
  })

  it('accumulates the input deltas of a tool call by its toolCallId, in `inputTextDelta`', () => {
    const events = encodeAll([
      { type: 'tool-input-start', toolCallId: 'call-1', toolName: 'weather' },
      { type: 'tool-input-delta', toolCallId: 'call-1', inputTextDelta: '{"city"' },
      { type: 'tool-input-delta', toolCallId: 'call-1', inputTextDelta: ':"Paris"}' },
      { type: 'tool-input-available', toolCallId: 'call-1', toolName: 'weather', input: { city: 'Paris' } },
    ])
    expect(events.map(({ seriesId, seriesMode, seriesAccField }) => [seriesId, seriesMode, seriesAccField])).toEqual([
      [undefined, undefined, undefined],
      ['ai.tool-input.0', 'accumulate', 'inputTextDelta'],
      ['ai.tool-input.0', 'accumulate', 'inputTextDelta'],
      [undefined, undefined, undefined],
    ])
  })

  it('gives a delta whose part never opened a series by its id', () => {
    const events = encodeAll([
      { type: 'text-delta', id: 'x', delta: 'a' },
      { type: 'text-delta', id: 'x', delta: 'b' },
      { type: 'text-delta', id: 'y', delta: 'c' },
    ])
    expect(events.map((event) => event.seriesId)).toEqual(['ai.text.0', 'ai.text.0', 'ai.text.1'])
  })
})
