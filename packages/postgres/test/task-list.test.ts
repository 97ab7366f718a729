// The archive's task list (SPEC §21) beyond core's contract, against the real server: the
// indexes the plans use, id order whatever the column's collation, types stored escaped, and
// the bound on rows one page examines.
import type { Task, TaskIndexQuery } from '@taskcast/core'
import { taskIndexKey, TASK_LIST_SCAN_LIMIT } from '@taskcast/core/internal'
import type pg from 'pg'
import { readWholeIndex } from '@taskcast/core/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { PostgresLongTermStore, runMigrations } from '../src/index.js'
import { taskIndexStatement } from '../src/task-index-query.js'
import { createPool, describePostgres, dropSchema, makeTask, randomName } from './postgres.js'

describePostgres('PostgresLongTermStore task list', () => {
  const schema = randomName('taskcast_test_list_')
  const table = `"${schema}".taskcast_tasks`
  let pool: pg.Pool
  let store: PostgresLongTermStore
  // Each test lists its own window of createdAt, so the tests share one table.
  let windowStart = 2_000_000_000_000

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

  function freshWindow(): Pick<TaskIndexQuery, 'createdAfter' | 'createdBefore'> & { start: number } {
    const start = (windowStart += 1_000_000)
    return { start, createdAfter: start - 1, createdBefore: start + 1_000_000 }
  }

  /** Inserts many tasks in one statement, with what `saveTask` writes. */
  async function insertMany(tasks: Task[]): Promise<void> {
    await pool.query(
      `INSERT INTO ${table} (id, type, status, created_at, updated_at, task)
       SELECT t->>'id', t->>'type', t->>'status', (t->>'createdAt')::bigint, (t->>'updatedAt')::bigint, t
       FROM json_array_elements($1::json) AS t`,
      [JSON.stringify(tasks)],
    )
  }

  const listAll = (query: TaskIndexQuery): Promise<Task[]> => readWholeIndex((q) => store.listTasks(q), query)

  const ids = (tasks: Task[]) => tasks.map((task) => task.id)

  test('reads pages from the indexes of migration 0003, never scanning or sorting the table', async () => {
    const { start } = freshWindow()
    // Mostly completed tasks: a filter on the rare statuses is worth the status index.
    const statusOf = (i: number) => (i % 100 === 0 ? 'running' : i % 100 === 1 ? 'failed' : 'completed')
    await insertMany(Array.from({ length: 20_000 }, (_, i) => makeTask({ status: statusOf(i), type: `job.${i % 7}`, createdAt: start + i })))
    await pool.query(`VACUUM ANALYZE ${table}`)
    const plan = async (query: TaskIndexQuery) => {
      const { text, values } = taskIndexStatement(table, query)
      const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values)
      return rows.map((row) => row['QUERY PLAN']).join('\n')
    }
    const after = taskIndexKey({ createdAt: start + 15_000, id: 'm' })
    for (const [query, index] of [
      [{ limit: 50 }, 'taskcast_tasks_by_created'],
      [{ limit: 50, after, createdAfter: start }, 'taskcast_tasks_by_created'],
      [{ limit: 50, types: ['job.3', 'job.5.*'] }, 'taskcast_tasks_by_created'],
      [{ limit: 50, statuses: ['running'], types: ['job.*'] }, 'taskcast_tasks_by_status'],
      [{ limit: 50, statuses: ['running', 'failed'], after }, 'taskcast_tasks_by_status'],
      [{ limit: 50, statuses: ['completed', 'failed'], types: ['job.*'] }, 'taskcast_tasks_by_status'],
    ] as const) {
      const text = await plan(query)
      expect(text, JSON.stringify(query)).toMatch(new RegExp(`Index (Only )?Scan Backward using ${index} `))
      expect(text, JSON.stringify(query)).not.toMatch(/Seq Scan|Bitmap/)
      // Several statuses: their ranges merged in order, not read whole and sorted.
      const statuses = (query as TaskIndexQuery).statuses ?? []
      if (statuses.length > 1) expect(text, JSON.stringify(query)).toMatch(/Merge Append/)
    }
  })

  test('orders ids by code point whatever the collation of the id column', async () => {
    const { start, ...window } = freshWindow()
    await pool.query(`ALTER TABLE ${table} ALTER COLUMN id TYPE text COLLATE "und-x-icu"`)
    try {
      // A linguistic collation orders these differently: it ignores case and punctuation first.
      const tasks = ['a-c', 'a_b', 'aB', 'ab', 'a.b', 'A1', 'a:z', 'Z'].map((id) => makeTask({ id: `${start}${id}`, createdAt: start }))
      for (const task of tasks) await store.saveTask(task)
      const expected = ids(tasks).sort().reverse()
      expect(ids(await listAll({ ...window, limit: 3 }))).toEqual(expected)
      expect(ids(await listAll({ ...window, statuses: ['running'], limit: 2 }))).toEqual(expected)
    } finally {
      await pool.query(`ALTER TABLE ${table} ALTER COLUMN id TYPE text COLLATE "default"`)
    }
  })

  test('matches type patterns against types the column keeps escaped (backslash, NUL, lone surrogate)', async () => {
    const { start, ...window } = freshWindow()
    const types = ['a\\b.x', 'q\u0000.y', 's\ud800.z', 'quo"te.x', 'quo"te.\\', 'llm.', 'llm.chat']
    const tasks = types.map((type, i) => makeTask({ type, createdAt: start + i }))
    for (const task of tasks) await store.saveTask(task)
    const typesOf = async (patterns: string[]) => (await listAll({ ...window, types: patterns, limit: 2 })).map((task) => task.type)
    expect(await typesOf(['a\\b.*'])).toEqual(['a\\b.x'])
    expect(await typesOf(['a\\b.x', 'q\u0000.y', 's\ud800.z'])).toEqual(['s\ud800.z', 'q\u0000.y', 'a\\b.x'])
    expect(await typesOf(['q\u0000.*', 's\ud800.*'])).toEqual(['s\ud800.z', 'q\u0000.y'])
    expect(await typesOf(['quo"te.*'])).toEqual(['quo"te.\\', 'quo"te.x'])
    // `llm.*` wants more than the prefix.
    expect(await typesOf(['llm.*'])).toEqual(['llm.chat'])
    expect(await typesOf(['*'])).toEqual([...types].reverse())
  })

  test(`examines at most ${TASK_LIST_SCAN_LIMIT} rows for a page, and answers a short page with the key to go on from`, async () => {
    const { start, ...window } = freshWindow()
    const rare = makeTask({ type: 'rare', status: 'completed', createdAt: start })
    const common = Array.from({ length: TASK_LIST_SCAN_LIMIT + 100 }, (_, i) => makeTask({ type: 'common', status: 'completed', createdAt: start + 1 + i }))
    await insertMany([rare, ...common])
    for (const statuses of [undefined, ['completed' as const, 'failed' as const]]) {
      const query = { ...window, types: ['rare'], limit: 10, ...(statuses ? { statuses } : {}) }
      const first = await store.listTasks(query)
      // Newest first: the scan stops at the 5,000th newest common task.
      expect(first).toEqual({ tasks: [], next: taskIndexKey(common[100]!) })
      expect(await store.listTasks({ ...query, after: first.next! })).toEqual({ tasks: [rare], next: null })
    }
  })
})
