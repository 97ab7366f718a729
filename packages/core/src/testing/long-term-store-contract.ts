// The archive contract: one suite every LongTermStore adapter must pass unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH } from '../json-value.js'
import type { LongTermStore } from '../storage/long-term-store.js'
import type { Task, TaskEvent } from '../types.js'
import { TASK_STATUSES } from '../types.js'
import { isTerminalStatus } from '../state-machine.js'
import { makeTask } from './fixtures.js'
import { describeArchivedIndexes } from './long-term-store-indexes.js'
import { describeTaskIndexOverStore } from './task-index-contract.js'
import { eventMaker, placeholderOf } from './long-term-store-events.js'

export interface LongTermStoreContractOptions {
  /** Creates the store under test; called once for the suite. */
  create: () => Promise<LongTermStore> | LongTermStore
  /** Releases what `create` made (a schema, connections); `store.close()` when not given. */
  cleanup?: (store: LongTermStore) => Promise<void>
}

/** `levels` objects and arrays nested in one another around a string. */
function nested(levels: number): unknown {
  let value: unknown = 'bottom'
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { n: value }
  return value
}

/** Text no byte-oriented layer may touch: scripts, emoji sequences, controls, NUL and lone surrogates. */
const UNICODE =
  'héllo · 日本語 · 한국어 · العربية · עברית · 🌍🚀 · 👩‍👩‍👧 · e\u0301 · \u200b\u200d\ufeff · \u2028\u2029 · "\\ \t\n · nul\u0000 · lone \ud800 \udfff'

const TERMINAL = TASK_STATUSES.filter(isTerminalStatus)
const NON_TERMINAL = TASK_STATUSES.filter((status) => !isTerminalStatus(status))

export function describeLongTermStoreContract(name: string, options: LongTermStoreContractOptions): void {
  describe(`LongTermStore contract: ${name}`, () => {
    let store: LongTermStore
    const getStore = () => store

    beforeAll(async () => {
      store = await options.create()
    })
    afterAll(async () => {
      if (options.cleanup) await options.cleanup(store)
      else await store.close()
    })

    describe('tasks', () => {
      it('reads a saved task back equal, as a copy the caller cannot use to change it', async () => {
        const task = makeTask({
          type: 'llm.chat',
          status: 'running',
          params: { prompt: 'Tell me a story', list: [1, 'two', null, { x: true }] },
          metadata: { user: 'u1', score: 0.5 },
          ttl: 3600,
          webhooks: [{ url: 'https://example.com/hook', filter: { types: ['llm.*'] } }],
          cleanup: { rules: [{ trigger: { afterMs: 1000 }, target: 'events' }] },
        })
        await store.saveTask(task)
        const read = await store.getTask(task.id)
        expect(read).toEqual(task)
        read!.metadata!.user = 'someone else'
        read!.status = 'failed'
        expect(await store.getTask(task.id)).toEqual(task)
        expect(await store.getTask('no-such-task')).toBeNull()
      })

      it('keeps what a suspended task carries: the question of a blocked one, the last answer of a resolved one', async () => {
        const blocked = makeTask({
          status: 'blocked',
          blockedRequest: { type: 'approval', data: { tool: 'shell', args: ['rm', '-rf', 'build/'], confirm: null } },
          resolution: [1, 'earlier answer'],
        })
        const paused = makeTask({ status: 'paused', resolution: null })
        const resumed = makeTask({ status: 'running', resolution: { approved: true } })
        for (const task of [blocked, paused, resumed]) await store.saveTask(task)
        expect(await store.getTask(blocked.id)).toEqual(blocked)
        expect(await store.getTask(paused.id)).toHaveProperty('resolution', null)
        expect(await store.getTask(paused.id)).toEqual(paused)
        expect(await store.getTask(resumed.id)).toEqual(resumed)
        // Leaving blocked drops the question: a later snapshot without it replaces the one with it.
        const { blockedRequest: _question, ...unblocked } = blocked
        await store.saveTask({ ...unblocked, status: 'running', updatedAt: blocked.updatedAt + 1 })
        expect(await store.getTask(blocked.id)).not.toHaveProperty('blockedRequest')
      })

      it('replaces a snapshot by a later one, and by the same one again', async () => {
        const pending = makeTask({ metadata: { step: 0 } })
        const running = { ...pending, status: 'running' as const, updatedAt: pending.updatedAt + 1 }
        const endedAt = running.updatedAt + 1
        const completed = { ...running, status: 'completed' as const, result: { output: 'The End.' }, updatedAt: endedAt, completedAt: endedAt }
        await store.saveTask(pending)
        await store.saveTask(running)
        expect(await store.getTask(pending.id)).toEqual(running)
        await store.saveTask({ ...running, metadata: { step: 1 } })
        expect(await store.getTask(pending.id)).toEqual({ ...running, metadata: { step: 1 } })
        await store.saveTask(completed)
        await store.saveTask(completed)
        expect(await store.getTask(pending.id)).toEqual(completed)
      })

      it('never replaces a terminal task by a non-terminal snapshot, whatever the order of arrival', async () => {
        for (const end of TERMINAL) {
          for (const earlier of NON_TERMINAL) {
            const before = makeTask({ status: earlier })
            const after: Task = { ...before, status: end, updatedAt: before.updatedAt + 1, completedAt: before.updatedAt + 1 }
            if (end === 'failed') after.error = { code: 'E', message: 'boom' }
            // A late snapshot of an earlier state, as another process's flush may deliver it.
            await store.saveTask(after)
            await store.saveTask(before)
            expect(await store.getTask(before.id), `${end} then ${earlier}`).toEqual(after)
            // Even one stamped later: clocks of processes disagree, terminal states do not change.
            await store.saveTask({ ...before, updatedAt: before.updatedAt + 1000 })
            expect(await store.getTask(before.id), `${end} then a later-stamped ${earlier}`).toEqual(after)
          }
        }
      })

      it('replaces a terminal snapshot by a terminal one', async () => {
        const ended = makeTask({ status: 'completed', result: { n: 1 } })
        await store.saveTask(ended)
        const amended: Task = { ...ended, result: { n: 2 }, metadata: { archivedBy: 'sweep' } }
        await store.saveTask(amended)
        expect(await store.getTask(ended.id)).toEqual(amended)
      })
    })

    describe('events', () => {
      it('reads events in index order whatever order they were saved in, within inclusive ranges', async () => {
        const { taskId, make } = eventMaker()
        const events = Array.from({ length: 6 }, () => make())
        await store.saveEvents([events[3]!, events[0]!, events[5]!])
        await store.saveEvents([events[4]!, events[1]!, events[2]!])
        expect(await store.getEvents(taskId)).toEqual(events)
        expect((await store.getEvents(taskId, { fromIndex: 2 })).map((e) => e.index)).toEqual([2, 3, 4, 5])
        expect((await store.getEvents(taskId, { toIndex: 2 })).map((e) => e.index)).toEqual([0, 1, 2])
        expect((await store.getEvents(taskId, { fromIndex: 1, toIndex: 3 })).map((e) => e.index)).toEqual([1, 2, 3])
        expect(await store.getEvents(taskId, { fromIndex: 6 })).toEqual([])
        expect(await store.getEvents('no-such-task')).toEqual([])
      })

      it('stores each event once however often it is saved, and returns copies', async () => {
        const { taskId, make } = eventMaker()
        const batch = [
          make({ type: 'taskcast:status', data: { status: 'running', previousStatus: 'pending' } }),
          make({ seriesId: 'logs', seriesMode: 'keep-all', data: { line: 'a' } }),
          make({ seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: 'Hello' } }),
          make({ seriesId: 'progress', seriesMode: 'latest', data: { pct: 10 } }),
          make({ data: { n: 4 } }),
        ]
        await store.saveEvents(batch)
        await store.saveEvents(batch)
        await store.saveEvents([...batch].reverse())
        await store.saveEvents(batch.slice(2))
        const read = await store.getEvents(taskId)
        expect(read).toEqual(batch)
        ;(read[0]!.data as { status: string }).status = 'changed'
        expect(await store.getEvents(taskId)).toEqual(batch)
      })

      it('keeps the last copy of an event given twice in one batch', async () => {
        const { taskId, make } = eventMaker()
        const first = make({ data: { v: 'first' } })
        const second = make()
        await store.saveEvents([first, second, { ...first, data: { v: 'resent' } }])
        expect(await store.getEvents(taskId)).toEqual([{ ...first, data: { v: 'resent' } }, second])
      })

      it('keeps every event of a keep-all series, and every kind of JSON data', async () => {
        const { taskId, make } = eventMaker()
        const events = [
          make({ seriesId: 'logs', seriesMode: 'keep-all', data: { line: 1 } }),
          make({ seriesId: 'logs', seriesMode: 'keep-all', data: [1, 2, 3] }),
          make({ seriesId: 'logs', seriesMode: 'keep-all', data: 'plain string' }),
          make({ data: 42.5 }),
          make({ data: -0.000001 }),
          make({ data: true }),
          make({ data: null, level: 'warn' }),
          make({ data: { empty: {}, none: [], nil: null }, level: 'error' }),
        ]
        await store.saveEvents(events.slice(0, 3))
        await store.saveEvents(events.slice(3))
        const read = await store.getEvents(taskId)
        expect(read).toEqual(events)
        expect(read[6]).toHaveProperty('data', null)
      })

      it(`reads back values nested ${MAX_JSON_DEPTH} levels deep (core's MAX_JSON_DEPTH) in tasks and events`, async () => {
        const deepest = nested(MAX_JSON_DEPTH)
        const inner = nested(MAX_JSON_DEPTH - 1)
        const task = makeTask({ status: 'completed', params: { x: inner }, metadata: { x: inner }, result: { x: inner } })
        const { make } = eventMaker(task.id)
        const events = [
          make({ type: 'deep', data: deepest }),
          make({ type: 'deep.series', seriesId: 's', seriesMode: 'latest', data: deepest }),
          // A status event wraps the result in one more level.
          make({ type: 'taskcast:status', data: { status: 'completed', previousStatus: 'running', result: { x: inner } } }),
        ]
        await store.saveTask(task)
        await store.saveEvents(events)
        expect(await store.getTask(task.id)).toEqual(task)
        expect(await store.getEvents(task.id)).toEqual(events)
      })

      it('reads back any Unicode exactly: scripts, emoji, controls, NUL and lone surrogates, in values, keys, types and series ids', async () => {
        const value = { [UNICODE]: UNICODE, list: [UNICODE, { '\u0000': '\ud83c' }], 'ключ': 'значение', '': 'empty key' }
        const task = makeTask({ type: `chat ${UNICODE}`, params: value, metadata: { note: UNICODE } })
        const { make } = eventMaker(task.id)
        const events = [
          make({ type: `uni ${UNICODE}`, data: value }),
          make({ type: 'uni.text', data: UNICODE }),
          make({ type: 'uni.keep', seriesId: `keep ${UNICODE}`, seriesMode: 'keep-all', data: value }),
          make({
            type: 'uni.answer',
            seriesId: `answer ${UNICODE}`,
            seriesMode: 'accumulate',
            seriesAccField: `f ${UNICODE}`,
            data: { [`f ${UNICODE}`]: UNICODE },
          }),
          make({ type: 'uni.latest', seriesId: `latest ${UNICODE}`, seriesMode: 'latest', data: value }),
        ]
        await store.saveTask(task)
        await store.saveEvents(events)
        expect(await store.getTask(task.id)).toEqual(task)
        expect(await store.getEvents(task.id)).toEqual(events)
      })
    })

    describe('compacted series', () => {
      it('keeps an accumulate series as one row: the running value at its newest index; earlier events are placeholders', async () => {
        const { taskId, make } = eventMaker()
        const acc = (text: string) =>
          make({ type: 'llm.delta', seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'text', data: { text } })
        // As the long-term writer sends them, one batch after another: the newest event of the
        // series in each batch, holding the running value so far.
        const status = make({ type: 'taskcast:status', data: { status: 'running', previousStatus: 'pending' } })
        const once = acc('Once')
        const tool = make({ type: 'tool.call', data: { name: 'search' } })
        const upon = acc('Once upon')
        const last = acc('Once upon a time')
        await store.saveEvents([status, once])
        await store.saveEvents([tool, upon])
        await store.saveEvents([last])
        expect(await store.getEvents(taskId)).toEqual([status, placeholderOf(once, last), tool, placeholderOf(upon, last), last])
        expect(await store.getEvents(taskId, { fromIndex: 2, toIndex: 3 })).toEqual([tool, placeholderOf(upon, last)])
        expect(await store.getEvents(taskId, { fromIndex: 4 })).toEqual([last])
      })

      it('moves a series row forward only: a re-save of an older value never moves it back', async () => {
        const { taskId, make } = eventMaker()
        const older = make({ seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'delta', data: { delta: 'ab' } })
        const newer = make({ seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'delta', data: { delta: 'abcd' } })
        await store.saveEvents([older])
        await store.saveEvents([newer])
        await store.saveEvents([older])
        await store.saveEvents([newer, older])
        expect(await store.getEvents(taskId)).toEqual([placeholderOf(older, newer), newer])
        // A re-save at the same index refreshes the value (the writer sends the running value).
        const refreshed = { ...newer, data: { delta: 'abcde' } }
        await store.saveEvents([refreshed])
        expect(await store.getEvents(taskId)).toEqual([placeholderOf(older, refreshed), refreshed])
      })

      it('keeps only the newest event of a series given several in one batch, in any order', async () => {
        const { taskId, make } = eventMaker()
        const [a, b, c] = [1, 2, 3].map((n) =>
          make({ seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'delta', data: { delta: 'x'.repeat(n) } }),
        ) as [TaskEvent, TaskEvent, TaskEvent]
        const plain = make()
        await store.saveEvents([c, plain, a, b])
        expect(await store.getEvents(taskId)).toEqual([placeholderOf(a, c), placeholderOf(b, c), c, plain])
      })

      it('keeps the skeleton of the events the writer compacted away, sent as placeholders', async () => {
        const { taskId, make } = eventMaker()
        const acc = (text: string, level: TaskEvent['level'] = 'info') =>
          make({ type: 'llm.delta', level, seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'text', data: { text } })
        const a = acc('a')
        const b = acc('ab', 'debug')
        const c = acc('abc')
        const asPlaceholder = (event: TaskEvent): TaskEvent => ({ ...event, data: null, superseded: true })
        await store.saveEvents([asPlaceholder(a), asPlaceholder(b), c])
        const read = await store.getEvents(taskId)
        expect(read).toEqual([placeholderOf(a, c), placeholderOf(b, c), c])
        expect(read[1]).toMatchObject({ index: 1, type: 'llm.delta', level: 'debug', data: null, superseded: true })
      })

      it('keeps only the newest event of a latest series; placeholders arriving late add their place only', async () => {
        const { taskId, make } = eventMaker()
        const progress = (pct: number) => make({ type: 'progress', seriesId: 'progress', seriesMode: 'latest', data: { pct } })
        const p10 = progress(10)
        const log = make({ type: 'log' })
        const p50 = progress(50)
        const p90 = progress(90)
        await store.saveEvents([p10, log])
        await store.saveEvents([p50])
        // A read-back from the short-term store brings its placeholders of the replaced events.
        await store.saveEvents([{ ...p10, data: null, superseded: true }, { ...p50, data: null, superseded: true }, p90])
        await store.saveEvents([p50])
        expect(await store.getEvents(taskId)).toEqual([placeholderOf(p10, p90), log, placeholderOf(p50, p90), p90])
      })

      it('drops the data of a series row once told that a newer event replaced it, in either order', async () => {
        for (const order of ['placeholder first', 'event first'] as const) {
          const { taskId, make } = eventMaker()
          const p = make({ type: 'progress', seriesId: 'progress', seriesMode: 'latest', data: { pct: 50 } })
          const placeholder: TaskEvent = { ...p, data: null, superseded: true }
          await store.saveEvents(order === 'event first' ? [p] : [placeholder])
          await store.saveEvents(order === 'event first' ? [placeholder] : [p])
          expect(await store.getEvents(taskId), order).toEqual([placeholder])
        }
      })

      it('keeps series apart per task and per series id', async () => {
        const a = eventMaker()
        const b = eventMaker()
        const ids = ['answer', 'Answer', 'série', '\ud800x', '\ud801x', 'x\u0000', 'x']
        const eventsA = ids.map((seriesId) => a.make({ seriesId, seriesMode: 'accumulate', seriesAccField: 'text', data: { text: seriesId } }))
        const eventsB = [b.make({ seriesId: 'answer', seriesMode: 'latest', data: 'b' })]
        await store.saveEvents([...eventsA, ...eventsB])
        expect(await store.getEvents(a.taskId)).toEqual(eventsA)
        expect(await store.getEvents(b.taskId)).toEqual(eventsB)
      })

      describeArchivedIndexes(getStore)
    })

    describeTaskIndexOverStore('archive', () => ({
      list: (query) => {
        if (!store.listTasks) throw new Error('the archive has no listTasks (SPEC §21)')
        return store.listTasks(query)
      },
      put: (task) => store.saveTask(task),
      move: (task, status) => store.saveTask({ ...task, status, updatedAt: task.updatedAt + 1 }),
      remove: async (taskId) => {
        expect(await store.deleteTask(taskId)).toBe(true)
      },
    }))

    describe('deletion', () => {
      it('deletes a task with its events, resolving whether the archive held either', async () => {
        const keep = makeTask()
        const drop = makeTask()
        await store.saveTask(keep)
        await store.saveTask(drop)
        const keepEvents = [eventMaker(keep.id).make()]
        const dropMaker = eventMaker(drop.id)
        const first = dropMaker.make({ seriesId: 's', seriesMode: 'latest' })
        await store.saveEvents([...keepEvents, dropMaker.make(), first])
        await store.saveEvents([dropMaker.make({ seriesId: 's', seriesMode: 'latest' })])

        expect(await store.deleteTask(drop.id)).toBe(true)
        expect(await store.getTask(drop.id)).toBeNull()
        expect(await store.getEvents(drop.id)).toEqual([])
        expect(await store.deleteTask(drop.id)).toBe(false)
        expect(await store.getTask(keep.id)).toEqual(keep)
        expect(await store.getEvents(keep.id)).toEqual(keepEvents)

        // Only the events archived yet (the writer may archive them before the task): still true.
        const early = eventMaker()
        await store.saveEvents([early.make()])
        expect(await store.deleteTask(early.taskId)).toBe(true)
        expect(await store.getEvents(early.taskId)).toEqual([])
        // Only the task: true as well.
        const bare = makeTask()
        await store.saveTask(bare)
        expect(await store.deleteTask(bare.id)).toBe(true)
        expect(await store.deleteTask('no-such-task')).toBe(false)
      })

      it('deletes some events by id or all of them, counting rows: a series row takes its placeholders along', async () => {
        const { taskId, make } = eventMaker()
        const other = eventMaker()
        const plain = Array.from({ length: 3 }, () => make())
        const acc = (text: string) => make({ seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'text', data: { text } })
        const a1 = acc('a')
        const a2 = acc('ab')
        const elsewhere = other.make()
        await store.saveEvents([...plain, a1, elsewhere])
        await store.saveEvents([a2])
        const placeholderId = (await store.getEvents(taskId)).find((event) => event.superseded)!.id
        expect(placeholderId).toBe(`${taskId}:${a1.index}`)

        expect(await store.deleteEvents(taskId, [plain[1]!.id, 'unknown-id', placeholderId, elsewhere.id])).toBe(1)
        expect(await store.getEvents(taskId)).toEqual([plain[0], plain[2], placeholderOf(a1, a2), a2])
        expect(await store.deleteEvents(taskId, [])).toBe(0)
        expect(await store.deleteEvents(taskId, [a2.id])).toBe(1)
        expect(await store.getEvents(taskId)).toEqual([plain[0], plain[2]])
        await store.saveEvents([a2])
        expect(await store.deleteEvents(taskId)).toBe(3)
        expect(await store.getEvents(taskId)).toEqual([])
        expect(await store.deleteEvents(taskId)).toBe(0)
        expect(await store.getEvents(other.taskId)).toEqual([elsewhere])
      })
    })

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined()
    })
  })
}
