// PostgresLongTermStore against the real server: what it stores (rows), beyond the shared
// contract (contract.test.ts): roundtrips, ordering, exactly-once writes, series compaction.
import type { TaskEvent } from '@taskcast/core'
import { placeholderOf } from '@taskcast/core/testing'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { PostgresLongTermStore, runMigrations } from '../src/index.js'
import { createPool, describePostgres, dropSchema, eventFactory, makeTask, POSTGRES_URL, randomName } from './postgres.js'

describePostgres('PostgresLongTermStore', () => {
  const schema = randomName('taskcast_test_store_')
  let pool: pg.Pool
  let store: PostgresLongTermStore

  beforeAll(async () => {
    pool = createPool()
    await runMigrations(pool, { schema })
    store = new PostgresLongTermStore({ pool, schema })
  })
  afterAll(async () => {
    await store.close()
    await dropSchema(pool, schema)
    await pool.end()
  })

  /** The raw rows of a task, to check what is stored and not only what reads return. */
  async function rows(taskId: string) {
    const result = await pool.query<{ idx: number; id: string; series_id: string | null; data: unknown; collapsed: unknown }>(
      `SELECT idx, id, series_id, data, collapsed FROM "${schema}".taskcast_events WHERE task_id = $1 ORDER BY idx`,
      [taskId],
    )
    return result.rows
  }

  describe('tasks', () => {
    test('a saved task reads back equal, and saving again replaces it', async () => {
      const task = makeTask({
        metadata: { user: 'u1', tags: ['a', 'b'] },
        ttl: 3600,
        webhooks: [{ url: 'https://example.com/hook', filter: { types: ['llm.*'] } }],
        cleanup: { rules: [{ trigger: { afterMs: 1000 }, target: 'events' }] },
      })
      await store.saveTask(task)
      expect(await store.getTask(task.id)).toEqual(task)

      const completed = { ...task, status: 'completed' as const, result: { output: 'The End.' }, completedAt: 1_700_000_009_000 }
      await store.saveTask(completed)
      await store.saveTask(completed)
      expect(await store.getTask(task.id)).toEqual(completed)
      const { rows: columns } = await pool.query(
        `SELECT status, type, created_at, updated_at FROM "${schema}".taskcast_tasks WHERE id = $1`,
        [task.id],
      )
      expect(columns).toEqual([{ status: 'completed', type: 'llm.chat', created_at: '1700000000000', updated_at: '1700000000500' }])
    })

    test('an unknown task reads as null', async () => {
      expect(await store.getTask('no-such-task')).toBeNull()
    })
  })

  describe('events', () => {
    test('keeps every kind of data exactly: objects, arrays, strings, numbers, JSON null and no data', async () => {
      const taskId = randomName('task_')
      const make = eventFactory(taskId)
      const events: TaskEvent[] = [
        make({ data: { nested: { list: [1, 'two', null, { x: true }] }, unicode: 'héllo 🌍' } }),
        make({ data: [1, 2, 3] }),
        make({ data: 'plain string' }),
        make({ data: 42.5 }),
        make({ data: null }),
        make({ data: undefined, level: 'warn', type: 'taskcast:status' }),
      ]
      await store.saveEvents(events)
      const read = await store.getEvents(taskId)
      expect(read).toEqual(events)
      expect(read[4]).toHaveProperty('data', null)
      expect(read[5]).not.toHaveProperty('data')
    })

    test('saving the same batch twice stores each event exactly once', async () => {
      const taskId = randomName('task_')
      const make = eventFactory(taskId)
      const batch = [
        make({ type: 'taskcast:status', data: { status: 'running', previousStatus: 'pending' } }),
        make({ seriesId: 'logs', seriesMode: 'keep-all', data: { line: 'a' } }),
        make({ seriesId: 'answer', seriesMode: 'accumulate', data: { text: 'Hello' } }),
        make({ seriesId: 'progress', seriesMode: 'latest', data: { pct: 10 } }),
      ]
      await store.saveEvents(batch)
      const once = await rows(taskId)
      await store.saveEvents(batch)
      await store.saveEvents([...batch].reverse())
      expect(await rows(taskId)).toEqual(once)
      expect(once.map((row) => row.idx)).toEqual([0, 1, 2, 3])
      expect(await store.getEvents(taskId)).toEqual(batch)
    })

    test('saves batches larger than one statement, in order', async () => {
      const taskId = randomName('task_')
      const make = eventFactory(taskId)
      const events = Array.from({ length: 1_234 }, (_, n) =>
        n % 100 === 99 ? make({ seriesId: 'answer', seriesMode: 'accumulate', data: { text: `t${n}` } }) : make(),
      )
      await store.saveEvents(events)
      await store.saveEvents(events)
      const read = await store.getEvents(taskId)
      // The 12 accumulate events collapse into their newest one, at index 1199; the others keep their places.
      const last = events[1_199]!
      const expected = events.map((e) => (e.seriesId === undefined || e === last ? e : placeholderOf(e, last)))
      expect(read).toEqual(expected)
      expect(await rows(taskId)).toHaveLength(1_234 - 11)
    })
  })

  describe('series compaction', () => {
    test('an accumulate series saved in three batches is one row with the last running value, index and id', async () => {
      const taskId = randomName('task_')
      const make = eventFactory(taskId)
      const acc = (text: string) => make({ type: 'llm.delta', seriesId: 'answer', seriesMode: 'accumulate', seriesAccField: 'text', data: { text } })
      // Compacted as the long-term writer sends them: the newest event of the series, holding the running value.
      const status = make({ type: 'taskcast:status', data: { status: 'running', previousStatus: 'pending' } })
      const batch1 = [status, acc('Once')]
      const other1 = make({ type: 'tool.call', data: { name: 'search' } })
      const batch2 = [other1, acc('Once upon')]
      const last = acc('Once upon a time')
      const batch3 = [last]

      await store.saveEvents(batch1)
      expect((await rows(taskId)).map((row) => [row.idx, row.series_id])).toEqual([[0, null], [1, 'answer']])
      await store.saveEvents(batch2)
      await store.saveEvents(batch3)

      // Still one row for the series; the places of its earlier events are runs in `collapsed`.
      expect(await rows(taskId)).toEqual([
        { idx: 0, id: status.id, series_id: null, data: status.data, collapsed: null },
        { idx: 2, id: other1.id, series_id: null, data: other1.data, collapsed: null },
        {
          idx: 4,
          id: last.id,
          series_id: 'answer',
          data: { text: 'Once upon a time' },
          collapsed: [
            [1, 1, 'llm.delta', 'info'],
            [3, 3, 'llm.delta', 'info'],
          ],
        },
      ])
      expect(await store.getEvents(taskId)).toEqual([status, placeholderOf(batch1[1]!, last), other1, placeholderOf(batch2[1]!, last), last])
    })

    test('a late resend of an older series event does not move the row back', async () => {
      const taskId = randomName('task_')
      const make = eventFactory(taskId)
      const older = make({ seriesId: 'answer', seriesMode: 'accumulate', data: { delta: 'ab' } })
      const newer = make({ seriesId: 'answer', seriesMode: 'accumulate', data: { delta: 'abcd' } })
      await store.saveEvents([older])
      await store.saveEvents([newer])
      await store.saveEvents([older])
      expect(await store.getEvents(taskId)).toEqual([placeholderOf(older, newer), newer])
      expect((await rows(taskId)).map((row) => [row.idx, row.collapsed])).toEqual([[1, [[0, 0, 'llm.delta', 'info']]]])
    })

    test('several events of one series in one batch keep only the newest', async () => {
      const taskId = randomName('task_')
      const make = eventFactory(taskId)
      const series = [1, 2, 3].map((n) => make({ seriesId: 'answer', seriesMode: 'accumulate', data: { delta: 'x'.repeat(n) } }))
      const plain = make()
      await store.saveEvents([...series, plain])
      expect(await store.getEvents(taskId)).toEqual([placeholderOf(series[0]!, series[2]!), placeholderOf(series[1]!, series[2]!), series[2], plain])
      expect((await rows(taskId)).map((row) => [row.idx, row.collapsed])).toEqual([
        [2, [[0, 1, 'llm.delta', 'info']]],
        [3, null],
      ])
    })

    test('a latest series keeps one row, the newest event', async () => {
      const taskId = randomName('task_')
      const make = eventFactory(taskId)
      const progress = (pct: number) => make({ type: 'progress', seriesId: 'progress', seriesMode: 'latest', data: { pct } })
      const p10 = progress(10)
      const log = make({ type: 'log' })
      const p50 = progress(50)
      const p90 = progress(90)
      await store.saveEvents([p10, log])
      await store.saveEvents([p50])
      // A superseded placeholder arriving late must not replace the newest event.
      await store.saveEvents([{ ...p50, data: null, superseded: true }, p90])
      expect(await store.getEvents(taskId)).toEqual([placeholderOf(p10, p90), log, placeholderOf(p50, p90), p90])
      expect((await rows(taskId)).map((row) => row.idx)).toEqual([1, 3])
    })

    test('series are compacted per task and per series id', async () => {
      const taskA = randomName('task_')
      const taskB = randomName('task_')
      const makeA = eventFactory(taskA)
      const makeB = eventFactory(taskB)
      const a1 = makeA({ seriesId: 'answer', seriesMode: 'accumulate', data: { text: 'a' } })
      const a2 = makeA({ seriesId: 'thinking', seriesMode: 'accumulate', data: { text: 'hmm' } })
      const b1 = makeB({ seriesId: 'answer', seriesMode: 'accumulate', data: { text: 'b' } })
      await store.saveEvents([a1, b1, a2])
      expect(await store.getEvents(taskA)).toEqual([a1, a2])
      expect(await store.getEvents(taskB)).toEqual([b1])
    })
  })

  describe('deletion', () => {
    test('deleteTask removes the task and its events only, and reports whether anything existed', async () => {
      const keep = makeTask()
      const drop = makeTask()
      await store.saveTask(keep)
      await store.saveTask(drop)
      const keepEvents = [eventFactory(keep.id)()]
      const makeDrop = eventFactory(drop.id)
      await store.saveEvents([...keepEvents, makeDrop(), makeDrop({ seriesId: 's', seriesMode: 'latest' })])

      expect(await store.deleteTask(drop.id)).toBe(true)
      expect(await store.getTask(drop.id)).toBeNull()
      expect(await store.getEvents(drop.id)).toEqual([])
      expect(await store.deleteTask(drop.id)).toBe(false)

      expect(await store.getTask(keep.id)).toEqual(keep)
      expect(await store.getEvents(keep.id)).toEqual(keepEvents)
    })

    test('deleteTask of a task whose events arrived before the task itself still removes them', async () => {
      const taskId = randomName('task_')
      await store.saveEvents([eventFactory(taskId)()])
      expect(await store.deleteTask(taskId)).toBe(true)
      expect(await store.getEvents(taskId)).toEqual([])
    })

    test('deleteEvents removes the given events, or all of them, and counts the rows removed', async () => {
      const taskId = randomName('task_')
      const otherTask = randomName('task_')
      const make = eventFactory(taskId)
      const events = Array.from({ length: 5 }, () => make())
      const other = eventFactory(otherTask)()
      await store.saveEvents([...events, other])

      expect(await store.deleteEvents(taskId, [events[1]!.id, events[3]!.id, 'unknown-id', other.id])).toBe(2)
      expect(await store.getEvents(taskId)).toEqual([events[0], events[2], events[4]])
      expect(await store.deleteEvents(taskId, [])).toBe(0)
      expect(await store.deleteEvents(taskId)).toBe(3)
      expect(await store.getEvents(taskId)).toEqual([])
      expect(await store.deleteEvents(taskId)).toBe(0)
      expect(await store.getEvents(otherTask)).toEqual([other])
    })
  })

  describe('lifecycle', () => {
    test('ping resolves while the server answers', async () => {
      await expect(store.ping()).resolves.toBeUndefined()
    })

    test('close ends a pool the store created, and later calls fail with STORE_UNAVAILABLE', async () => {
      const owned = new PostgresLongTermStore({ url: POSTGRES_URL, schema })
      await owned.ping()
      await owned.close()
      await owned.close()
      expect(owned.pool.ended).toBe(true)
      await expect(owned.getTask('x')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    })

    test('close leaves a given pool open', async () => {
      const borrowed = new PostgresLongTermStore({ pool, schema })
      await borrowed.close()
      expect(pool.ended).toBe(false)
      await expect(pool.query('SELECT 1')).resolves.toBeDefined()
    })
  })
})
