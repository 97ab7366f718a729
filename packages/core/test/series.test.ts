import { describe, expect, it } from 'vitest'
import { collect, memoryEngine, runningTask } from './helpers.js'

const acc = { type: 'llm.delta', seriesId: 'answer', seriesMode: 'accumulate' as const }

describe('series', () => {
  it('collapses 10,000 accumulate deltas into one snapshot for a late joiner', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    const deltas = Array.from({ length: 10_000 }, (_, i) => `w${i} `)
    for (let i = 0; i < deltas.length; i += 1000) {
      await engine.publishEvents(task.id, deltas.slice(i, i + 1000).map((text) => ({ ...acc, data: { text } })))
    }
    const lastDelta = (await engine.getEvents(task.id)).at(-1)!
    const sub = collect(engine, task.id)
    await sub.live
    expect(sub.envelopes).toHaveLength(2)
    expect(sub.envelopes[1]).toEqual({
      filteredIndex: 10_000,
      rawIndex: 10_000,
      eventId: lastDelta.id,
      taskId: task.id,
      type: 'llm.delta',
      timestamp: lastDelta.timestamp,
      level: 'info',
      data: { text: deltas.join('') },
      seriesId: 'answer',
      seriesMode: 'accumulate',
      seriesAccField: 'text',
      seriesSnapshot: true,
    })
    // Live deltas follow the snapshot as deltas, numbered after it.
    await engine.publishEvent(task.id, { ...acc, data: { text: 'end' } })
    expect(sub.envelopes[2]).toMatchObject({ filteredIndex: 10_001, data: { text: 'end' } })
    expect(sub.envelopes[2]!.seriesSnapshot).toBeUndefined()
    sub.unsubscribe()
  })

  it('does not collapse when the subscriber resumes with a cursor', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvents(task.id, ['a', 'b', 'c'].map((text) => ({ ...acc, data: { text } })))
    const sub = collect(engine, task.id, { since: { index: 0 } })
    await sub.live
    expect(sub.envelopes.map((e) => e.data)).toEqual([{ text: 'a' }, { text: 'b' }, { text: 'c' }])
    sub.unsubscribe()
  })

  it('gives running values in the accumulated format, in history and live', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvents(task.id, [
      { ...acc, data: { text: 'Once ', model: 'm1' } },
      { type: 'other', data: 'x' },
      { ...acc, data: { text: 'upon ', model: 'm2' } },
    ])
    const history = await engine.getEvents(task.id, { seriesFormat: 'accumulated', filter: { includeStatus: false } })
    expect(history.map((e) => e.data)).toEqual([{ text: 'Once ', model: 'm1' }, 'x', { text: 'Once upon ', model: 'm2' }])
    const sub = collect(engine, task.id, { types: ['llm.*'], includeStatus: false }, { seriesFormat: 'accumulated', collapseSeries: false })
    await sub.live
    await engine.publishEvent(task.id, { ...acc, data: { text: 'a time' } })
    expect(sub.envelopes.map((e) => e.data)).toEqual([
      { text: 'Once ', model: 'm1' },
      { text: 'Once upon ', model: 'm2' },
      { text: 'Once upon a time' },
    ])
    sub.unsubscribe()
    // History in the delta format keeps the deltas as published.
    expect((await engine.getEvents(task.id, { filter: { types: ['llm.*'], includeStatus: false } })).map((e) => e.data)).toEqual([
      { text: 'Once ', model: 'm1' },
      { text: 'upon ', model: 'm2' },
      { text: 'a time' },
    ])
  })

  it('accumulates delta before text, and seriesAccField over both', async () => {
    const { engine, store } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvents(task.id, [
      { type: 'a', seriesId: 's1', seriesMode: 'accumulate', data: { delta: 'x', text: 'ignored' } },
      { type: 'a', seriesId: 's1', seriesMode: 'accumulate', data: { delta: 'y', text: 'ignored' } },
      { type: 'b', seriesId: 's2', seriesMode: 'accumulate', seriesAccField: 'content', data: { content: 'p', delta: 'q' } },
      { type: 'b', seriesId: 's2', seriesMode: 'accumulate', seriesAccField: 'content', data: { content: 'r', delta: 's' } },
    ])
    expect(await store.getSeriesValue(task.id, 's1')).toEqual({ delta: 'xy', text: 'ignored' })
    expect(await store.getSeriesValue(task.id, 's2')).toEqual({ content: 'pr', delta: 's' })
  })

  it('keeps only the newest event of a latest series in history but sends every one live', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    const live = collect(engine, task.id, { includeStatus: false })
    await live.live
    for (let pct = 10; pct <= 100; pct += 10) {
      await engine.publishEvent(task.id, { type: 'progress', seriesId: 'bar', seriesMode: 'latest', data: { pct } })
    }
    expect(live.envelopes.map((e) => (e.data as { pct: number }).pct)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    const history = await engine.getEvents(task.id, { filter: { includeStatus: false } })
    expect(history.map((e) => [e.data, e.index])).toEqual([[{ pct: 100 }, 10]])
    const late = collect(engine, task.id, { includeStatus: false })
    await late.live
    // The one kept event carries the same filteredIndex the live subscriber saw.
    expect(late.envelopes).toEqual([live.envelopes.at(-1)])
    live.unsubscribe()
    late.unsubscribe()
  })

  it('treats a series without a mode as keep-all', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    const [a, b] = await engine.publishEvents(task.id, [
      { type: 'step', seriesId: 'steps', data: 1 },
      { type: 'step', seriesId: 'steps', data: 2 },
    ])
    expect([a!.seriesMode, b!.seriesMode]).toEqual(['keep-all', 'keep-all'])
    expect((await engine.getEvents(task.id)).map((e) => e.data)).toEqual([{ status: 'running', previousStatus: 'pending' }, 1, 2])
  })
})
