// Property test: for random logs and random filters, resuming from any filteredIndex or any
// event id gives exactly the tail of the unbroken stream, with the same filteredIndex values.
import { describe, expect, it } from 'vitest'
import type { Level, PublishEventInput, SubscribeFilter } from '../src/types.js'
import { LEVELS } from '../src/types.js'
import { collect, memoryEngine, prng, runningTask } from './helpers.js'

const TYPES = ['llm.delta', 'llm.tool.call', 'tool.call', 'log', 'llm']
const PATTERNS = ['llm.*', 'tool.call', 'log', '*', 'llm', 'nothing.*']

function randomEvent(rand: ReturnType<typeof prng>): PublishEventInput {
  const roll = rand.next()
  const level = rand.pick(LEVELS)
  if (roll < 0.15) return { type: 'llm.delta', level, seriesId: `acc${rand.int(2)}`, seriesMode: 'accumulate', data: { delta: `d${rand.int(100)} ` } }
  if (roll < 0.25) return { type: 'progress', level, seriesId: 'bar', seriesMode: 'latest', data: { pct: rand.int(100) } }
  return { type: rand.pick(TYPES), level, data: { n: rand.int(1000) } }
}

function randomFilter(rand: ReturnType<typeof prng>): SubscribeFilter {
  const filter: SubscribeFilter = {}
  if (rand.next() < 0.6) filter.types = PATTERNS.filter(() => rand.next() < 0.35)
  if (rand.next() < 0.5) filter.levels = LEVELS.filter(() => rand.next() < 0.6) as Level[]
  if (rand.next() < 0.5) filter.includeStatus = rand.next() < 0.5
  return filter
}

describe('filteredIndex and resume', () => {
  for (let run = 0; run < 25; run++) {
    const seed = 1000 + run * 7919
    it(`resumes to the exact tail for random log and filter (seed ${seed})`, async () => {
      const rand = prng(seed)
      const { engine, store } = memoryEngine()
      const task = await runningTask(engine)
      const filter = randomFilter(rand)
      const unbroken = collect(engine, task.id, filter, { collapseSeries: false })
      const count = 20 + rand.int(60)
      // Publish in random batch sizes so batches and single events mix.
      for (let published = 0; published < count; ) {
        const size = 1 + rand.int(4)
        await engine.publishEvents(task.id, Array.from({ length: size }, () => randomEvent(rand)))
        published += size
      }
      await engine.transitionTask(task.id, 'completed')
      await unbroken.ended
      const full = unbroken.envelopes
      expect(full.map((e) => e.filteredIndex)).toEqual(full.map((_, i) => i))

      // Older events of a latest series were seen live but are no longer in history.
      const superseded = new Set((await store.getEvents(task.id)).filter((e) => e.superseded).map((e) => e.id))
      const historyView = full.filter((e) => !superseded.has(e.eventId))

      for (let k = -1; k < full.length; k++) {
        const expected = historyView.filter((e) => e.filteredIndex > (k < 0 ? -1 : full[k]!.filteredIndex))
        if (k >= 0) {
          const byId = collect(engine, task.id, { ...filter, since: { id: full[k]!.eventId } })
          await byId.ended
          expect(byId.envelopes).toEqual(expected)
        }
        const byIndex = collect(engine, task.id, { ...filter, since: { index: k } })
        await byIndex.ended
        expect(byIndex.envelopes).toEqual(expected)
        const history = await engine.getEvents(task.id, { filter: { ...filter, since: { index: k } } })
        expect(history.map((e) => e.id)).toEqual(expected.map((e) => e.eventId))
      }
    })
  }

  // A cursor is found without walking the log before it: these runs check that passing over
  // events (with gaps left by deleted ones, cursors on events the filter leaves out, and no
  // filter at all) gives what walking gave, and that live events then carry on the numbering.
  for (let run = 0; run < 10; run++) {
    const seed = 5000 + run * 104729
    it(`resumes from any raw event or index, with gaps, then live (seed ${seed})`, async () => {
      const rand = prng(seed)
      const { engine, store } = memoryEngine()
      const task = await runningTask(engine)
      const filter = run % 3 === 0 ? {} : randomFilter(rand)
      for (let i = 0; i < 40; i++) await engine.publishEvents(task.id, [randomEvent(rand), randomEvent(rand)])
      const stored = await store.getEvents(task.id)
      await store.deleteEvents(task.id, stored.filter(() => rand.next() < 0.2).map((e) => e.id))
      const kept = await store.getEvents(task.id)
      const before = collect(engine, task.id, filter, { collapseSeries: false })
      await before.live
      before.unsubscribe()
      const history = before.envelopes
      const cursors: SubscribeFilter['since'][] = [
        ...kept.map((e) => ({ id: e.id })),
        ...Array.from({ length: history.length + 2 }, (_, k) => ({ index: k - 1 })),
      ]
      const resumed = cursors.map((since) => collect(engine, task.id, { ...filter, since }))
      await Promise.all(resumed.map((r) => r.live))
      // Not of a latest series: an event seen live and superseded later would be missing from the history compared with.
      for (let i = 0; i < 5; i++) await engine.publishEvent(task.id, { type: rand.pick(TYPES), level: rand.pick(LEVELS), data: i })
      await engine.transitionTask(task.id, 'completed')
      const whole = collect(engine, task.id, filter, { collapseSeries: false })
      await whole.ended
      await Promise.all(resumed.map((r) => r.ended))
      for (const [i, since] of cursors.entries()) {
        const rawCut = since!.id !== undefined ? kept.find((e) => e.id === since!.id)!.index : undefined
        const expected = whole.envelopes.filter((e) => (rawCut !== undefined ? e.rawIndex > rawCut : e.filteredIndex > since!.index!))
        expect(resumed[i]!.envelopes, JSON.stringify(since)).toEqual(expected)
      }
    })
  }

  it('resumes live: a subscriber that reconnects mid-stream with its last id misses nothing', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    const filter: SubscribeFilter = { types: ['llm.*'], levels: ['info', 'warn'] }
    const first = collect(engine, task.id, filter)
    for (let i = 0; i < 20; i++) await engine.publishEvent(task.id, { type: i % 2 ? 'llm.delta' : 'log', level: 'info', data: i })
    first.unsubscribe()
    const last = first.envelopes.at(-1)!
    for (let i = 20; i < 30; i++) await engine.publishEvent(task.id, { type: 'llm.x', level: i % 3 ? 'info' : 'debug', data: i })
    const second = collect(engine, task.id, { ...filter, since: { id: last.eventId } })
    for (let i = 30; i < 40; i++) await engine.publishEvent(task.id, { type: 'llm.y', data: i })
    await engine.transitionTask(task.id, 'completed')
    await second.ended
    const reference = collect(engine, task.id, filter)
    await reference.ended
    expect([...first.envelopes, ...second.envelopes]).toEqual(reference.envelopes)
  })

  it('resumes after a timestamp', async () => {
    const { engine, clock } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvent(task.id, { type: 'a' })
    const cut = clock.now()
    await clock.advance(10)
    await engine.publishEvent(task.id, { type: 'b' })
    await engine.transitionTask(task.id, 'completed')
    const sub = collect(engine, task.id, { since: { timestamp: cut } })
    await sub.ended
    expect(sub.envelopes.map((e) => [e.type, e.filteredIndex])).toEqual([
      ['b', 2],
      ['taskcast:status', 3],
    ])
  })

  it('counts status events in filteredIndex only when included', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvents(task.id, [{ type: 'a' }, { type: 'b' }])
    await engine.transitionTask(task.id, 'completed')
    const without = collect(engine, task.id, { includeStatus: false })
    await without.ended
    expect(without.envelopes.map((e) => [e.type, e.filteredIndex, e.rawIndex])).toEqual([
      ['a', 0, 1],
      ['b', 1, 2],
    ])
  })
})
