// Part of the long-term store contract: an archived task numbers its events as it did live.
//
// A reader's filteredIndex counts every event of the task its filter selects, collapsed
// accumulate deltas and replaced `latest` events included (SPEC §4, §5). The archive keeps
// one row per compacted series, so it must keep the places of the other events of the series
// as well (placeholders): then one FilteredStream over the archived log gives each event it
// delivers the number it had live, and a resume by `since.index` continues where it left off.
import { expect, it } from 'vitest'
import { TaskEngine } from '../engine/task-engine.js'
import { FilteredStream } from '../filtered-stream.js'
import { MemoryBroadcastProvider } from '../memory/memory-broadcast-provider.js'
import { MemoryShortTermStore } from '../memory/memory-short-term-store.js'
import { readLog } from '../read-log.js'
import { SeriesAccumulator } from '../series.js'
import type { LongTermStore } from '../storage/long-term-store.js'
import type { EventDraft } from '../storage/short-term-store.js'
import type { EventFilter, PublishEventInput, SeriesFormat, SSEEnvelope, SubscribeFilter, TaskEvent } from '../types.js'
import { makeDraft, makeTask, statusDraft } from './fixtures.js'
import { ManualClock } from './manual-clock.js'

/** Each publish of the scenario: one batch of events. */
const SCENARIO: PublishEventInput[][] = [
  [{ type: 'tool.call', data: { name: 'search' } }],
  [
    { type: 'llm.answer', seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: 'Once' } },
    { type: 'llm.answer', seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: ' upon' } },
    { type: 'llm.answer', seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: ' a' } },
  ],
  [{ type: 'tool.result', level: 'warn', data: { hits: 3 } }],
  [
    { type: 'llm.answer', seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: ' time' } },
    { type: 'progress', seriesId: 'progress', seriesMode: 'latest', data: { pct: 10 } },
    { type: 'llm.thinking', level: 'debug', seriesId: 'thinking', seriesMode: 'accumulate', seriesAccField: 'delta', data: { delta: 'hmm' } },
    { type: 'progress', seriesId: 'progress', seriesMode: 'latest', data: { pct: 50 } },
  ],
  [
    // The series' last event at another level than the rest: placeholders keep their own.
    { type: 'llm.answer', level: 'warn', seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: '!' } },
    { type: 'progress', seriesId: 'progress', seriesMode: 'latest', data: { pct: 90 } },
    { type: 'llm.thinking', level: 'debug', seriesId: 'thinking', seriesMode: 'accumulate', seriesAccField: 'delta', data: { delta: '...' } },
  ],
  [{ type: 'tool.call', data: { name: 'write' } }],
]

const FILTERS: EventFilter[] = [
  {},
  { types: ['tool.*'] },
  { types: ['llm.*'] },
  { types: ['llm.answer'], includeStatus: false },
  { levels: ['warn'] },
  { levels: ['warn', 'debug'], includeStatus: false },
  { types: ['progress'] },
  { includeStatus: false },
]

const CURSORS = [-1, 0, 1, 2, 3, 5, 8, 13, 100]

function toDraft(taskId: string, input: PublishEventInput): EventDraft {
  return makeDraft(taskId, { level: 'info', ...input, data: input.data ?? null })
}

/** The scenario's task in a short-term store: its live log, and the batches its appends made. */
async function liveTask(): Promise<{ taskId: string; log: TaskEvent[]; batches: TaskEvent[][] }> {
  const shortTerm = new MemoryShortTermStore()
  const task = makeTask()
  await shortTerm.createTask(task)
  const transition = async (from: 'pending' | 'running', to: 'running' | 'completed') =>
    (await shortTerm.transitionTask(task.id, { from, patch: { status: to, updatedAt: Date.now() }, event: statusDraft(task.id, to, from) }))!.event
  const batches: TaskEvent[][] = [[await transition('pending', 'running')]]
  for (const inputs of SCENARIO) batches.push(await shortTerm.appendEvents(task.id, inputs.map((input) => toDraft(task.id, input))))
  batches.push([await transition('running', 'completed')])
  const log = await shortTerm.getEvents(task.id)
  await shortTerm.close()
  return { taskId: task.id, log, batches }
}

function isCompacted(event: TaskEvent): boolean {
  return event.seriesId !== undefined && (event.seriesMode === 'accumulate' || event.seriesMode === 'latest')
}

/**
 * The batches as the long-term writer sends them: per batch, the newest event of each
 * compacted series (an accumulate one with the running value), the others as placeholders.
 */
function asWritten(batches: TaskEvent[][]): TaskEvent[][] {
  const running = new SeriesAccumulator()
  return batches.map((batch) => {
    const last = new Map<string, number>()
    for (const event of batch) if (isCompacted(event)) last.set(event.seriesId!, event.index)
    return batch.map((event) => {
      const value = running.add(event)
      if (!isCompacted(event)) return event
      if (last.get(event.seriesId!) !== event.index) return { ...event, data: null, superseded: true }
      return value === undefined ? event : { ...event, data: value }
    })
  })
}

/**
 * Indexes of the events an archived log still delivers: those of the live log but the
 * placeholders and the accumulate events before the last of their series.
 */
function keptIndexes(log: readonly TaskEvent[]): Set<number> {
  const lastOfSeries = new Map<string, number>()
  for (const event of log) if (event.seriesMode === 'accumulate') lastOfSeries.set(event.seriesId!, event.index)
  const kept = log.filter((e) => !e.superseded && (e.seriesMode !== 'accumulate' || lastOfSeries.get(e.seriesId!) === e.index))
  return new Set(kept.map((e) => e.index))
}

interface Read {
  filter: EventFilter
  since?: number
  format: SeriesFormat
  collapse: boolean
}

function read(log: readonly TaskEvent[], { filter, since, format, collapse }: Read) {
  const stream = new FilteredStream(filter, { seriesFormat: format, trackSeries: collapse })
  const cursor = since === undefined ? undefined : { index: since }
  return readLog(stream, log, { since: cursor, collapse }).items.map(({ item, snapshot }) => ({
    index: item.event.index,
    id: item.event.id,
    type: item.event.type,
    filteredIndex: item.filteredIndex,
    data: item.data,
    snapshot,
  }))
}

/** Every read the comparisons make: late joins (collapsed) and resumes by `since.index`. */
function reads(): Read[] {
  const all: Read[] = []
  for (const filter of FILTERS) {
    all.push({ filter, format: 'delta', collapse: true }, { filter, format: 'accumulated', collapse: true })
    for (const since of [undefined, ...CURSORS]) all.push({ filter, since, format: 'accumulated', collapse: false })
  }
  return all
}

function envelopesOf(engine: TaskEngine, taskId: string, filter: SubscribeFilter, seriesFormat: SeriesFormat): Promise<SSEEnvelope[]> {
  return new Promise((resolve, reject) => {
    const envelopes: SSEEnvelope[] = []
    engine.subscribe(
      taskId,
      filter,
      {
        onEnvelope: (envelope) => envelopes.push(envelope),
        onDone: () => resolve(envelopes),
        onError: reject,
        onLimit: () => reject(new Error('unexpected limit')),
        onGone: (reason) => reject(new Error(`task gone: ${reason}`)),
      },
      { seriesFormat },
    )
  })
}

/** Registers the filteredIndex tests of the long-term store contract. */
export function describeArchivedIndexes(getStore: () => LongTermStore): void {
  it('keeps the place of every event of the live log, in batches arriving in any order and more than once', async () => {
    const store = getStore()
    const oneByOne = await liveTask()
    const batched = await liveTask()
    // One event per batch (each publish flushed on its own), in order.
    for (const batch of asWritten(oneByOne.batches)) for (const event of batch) await store.saveEvents([event])
    // Whole batches with placeholders for what the writer compacted away: backwards, then again.
    const written = asWritten(batched.batches)
    for (const batch of [...written].reverse()) await store.saveEvents(batch)
    for (const batch of written) await store.saveEvents(batch)

    for (const { taskId, log } of [oneByOne, batched]) {
      const archived = await store.getEvents(taskId)
      const skeleton = (events: TaskEvent[]) => events.map((e) => [e.index, e.type, e.level, e.seriesId ?? null])
      expect(skeleton(archived)).toEqual(skeleton(log))
      const kept = keptIndexes(log)
      expect(archived.filter((e) => !e.superseded).map((e) => e.index)).toEqual([...kept])
      for (const event of archived.filter((e) => !e.superseded && e.seriesMode !== 'accumulate')) {
        expect(event).toEqual(log.find((e) => e.index === event.index))
      }
    }
  })

  it('numbers an archived log as the live one: each delivered event has its live filteredIndex (late joins, since.index)', async () => {
    const store = getStore()
    const { taskId, log, batches } = await liveTask()
    for (const batch of asWritten(batches)) await store.saveEvents(batch)
    const archived = await store.getEvents(taskId)
    const kept = keptIndexes(log)
    for (const options of reads()) {
      const live = read(log, options)
      const expected = options.collapse ? live : live.filter((item) => kept.has(item.index))
      expect(read(archived, options), JSON.stringify(options)).toEqual(expected)
    }
  })

  it('gives a reader of an archived task, through the engine, what it got live', async () => {
    const store = getStore()
    const clock = new ManualClock()
    const shortTerm = new MemoryShortTermStore({ clock })
    const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: shortTerm, longTermStore: store, clock })
    try {
      const task = await engine.createTask({ type: 'contract.indexes' })
      /** Lets the writer flush until the archive holds the task's newest event: one event per batch. */
      const archived = async () => {
        const event = (await shortTerm.getEvents(task.id)).at(-1)
        for (let attempt = 0; attempt < 400; attempt++) {
          await clock.advance(25)
          const found = await store.getEvents(task.id, { fromIndex: event!.index, toIndex: event!.index })
          if (found.some((e) => e.id === event!.id)) return
        }
        throw new Error(`event ${event!.index} was not archived`)
      }
      await engine.transitionTask(task.id, 'running')
      await archived()
      for (const inputs of SCENARIO) {
        for (const input of inputs) {
          await engine.publishEvent(task.id, input)
          await archived()
        }
      }
      await engine.transitionTask(task.id, 'completed', { result: { text: 'Once upon a time!' } })
      await archived()

      const log = await shortTerm.getEvents(task.id)
      const kept = keptIndexes(log)
      const cases: [SubscribeFilter, SeriesFormat][] = []
      for (const filter of FILTERS) {
        cases.push([filter, 'delta'], [filter, 'accumulated'])
        for (const index of CURSORS) cases.push([{ ...filter, since: { index } }, 'accumulated'])
      }
      const live = await Promise.all(cases.map(([filter, format]) => envelopesOf(engine, task.id, filter, format)))
      // The short-term store forgets the task (expiry, or a cleanup rule with target `task`).
      await shortTerm.deleteTask(task.id)
      expect(await engine.getTask(task.id)).toMatchObject({ status: 'completed' })
      for (const [at, [filter, format]] of cases.entries()) {
        const fromArchive = await envelopesOf(engine, task.id, filter, format)
        const expected = filter.since ? live[at]!.filter((envelope) => kept.has(envelope.rawIndex)) : live[at]
        expect(fromArchive, JSON.stringify({ filter, format })).toEqual(expected)
      }
    } finally {
      await engine.stop()
      await shortTerm.close()
    }
  })
}
