// The shared serialization of envelopes (one JSON per event for all readers), the shape of
// stored events, and event ids: the fast paths must give exactly what the plain ones give.
import { describe, expect, it } from 'vitest'
import { envelopeJson, toEnvelope } from '../src/envelope.js'
import type { SSEEnvelope, TaskEvent } from '../src/types.js'
import { memoryEngine, runningTask } from './helpers.js'

const base: SSEEnvelope = {
  filteredIndex: 0,
  rawIndex: 3,
  eventId: '01J0000000000000000000000A',
  taskId: 't',
  type: 'llm.delta',
  timestamp: 1700000000000,
  level: 'info',
  data: { text: 'a "quoted"\nline', n: [1, 2, { x: null }] },
}

describe('envelopeJson', () => {
  it('equals JSON.stringify for envelopes of every shape, in any order of calls', () => {
    const envelopes: SSEEnvelope[] = [
      base,
      { ...base, filteredIndex: 7 },
      { ...base, filteredIndex: 8, seriesId: 's', seriesMode: 'accumulate' },
      { ...base, filteredIndex: 8, seriesId: 's', seriesMode: 'accumulate', seriesSnapshot: true },
      { ...base, eventId: '01J0000000000000000000000B', data: 'plain text é€😀' },
      { ...base, eventId: '01J0000000000000000000000C', data: null },
      { ...base, eventId: '01J0000000000000000000000D', data: 42 },
      { ...base, eventId: '01J0000000000000000000000E', data: undefined },
      { data: 'keys in another order', eventId: 'x', filteredIndex: 1 } as unknown as SSEEnvelope,
      { ...base, filteredIndex: 12 },
    ]
    for (const envelope of [...envelopes, ...envelopes.reverse()]) {
      expect(envelopeJson(envelope)).toBe(JSON.stringify(envelope))
      expect(envelopeJson(envelope, true)).toBe(JSON.stringify(envelope))
    }
  })

  it('gives each reader of one event its own filteredIndex, and tells a snapshot from the event', () => {
    const data = { text: 'shared' }
    const event: TaskEvent = { ...base, id: base.eventId, index: 3, data, seriesId: 's', seriesMode: 'accumulate' }
    const indexes = [5, 0, 9, 5]
    for (const keep of [false, true, false]) {
      for (const filteredIndex of indexes) {
        const envelope = toEnvelope({ event, filteredIndex, data })
        expect(envelopeJson(envelope, keep)).toBe(JSON.stringify(envelope))
        const snapshot = toEnvelope({ event, filteredIndex, data }, true)
        expect(JSON.parse(envelopeJson(snapshot, keep))).toEqual({ ...envelope, seriesSnapshot: true })
      }
    }
  })

  it('is not fooled by another event carrying the same data object', () => {
    const data = { same: true }
    const a = toEnvelope({ event: { ...base, id: 'a', index: 1, data } as unknown as TaskEvent, filteredIndex: 1, data }, false)
    const b = toEnvelope({ event: { ...base, id: 'b', index: 2, data } as unknown as TaskEvent, filteredIndex: 2, data }, false)
    expect(envelopeJson(a, true)).toBe(JSON.stringify(a))
    expect(envelopeJson(b, true)).toBe(JSON.stringify(b))
    expect(envelopeJson(a)).toBe(JSON.stringify(a))
  })
})

describe('stored events', () => {
  it('keep the order of their fields, are frozen, and get increasing ULIDs within one millisecond', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    const events = await engine.publishEvents(
      task.id,
      Array.from({ length: 300 }, (_, i) => ({ type: 'a', data: { i }, seriesId: 's', seriesMode: 'accumulate' as const, seriesAccField: 'x', ...{} }))
        .map((input, i) => (i % 2 ? { type: 'b', data: { i } } : { ...input, data: { x: String(i) } })),
    )
    const stored = await engine.getEvents(task.id)
    expect(Object.keys(stored[1]!)).toEqual(['id', 'taskId', 'timestamp', 'type', 'level', 'data', 'seriesId', 'seriesMode', 'seriesAccField', 'index'])
    expect(Object.keys(stored[2]!)).toEqual(['id', 'taskId', 'timestamp', 'type', 'level', 'data', 'index'])
    expect(stored.every((event) => Object.isFrozen(event))).toBe(true)
    const ids = events.map((event) => event.id)
    expect(new Set(events.map((event) => event.timestamp)).size).toBe(1)
    expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })
})
