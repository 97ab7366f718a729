// The task list (SPEC §21) beyond core's contract: what the file keeps across a reopen and an
// upgrade from schema version 1, expired tasks before the sweep, and the bound on rows examined.
import type { Task, TaskIndexPage, TaskIndexQuery } from '@taskcast/core'
import { taskIndexKey, TASK_LIST_SCAN_LIMIT } from '@taskcast/core/internal'
import { makeTask, readWholeIndex } from '@taskcast/core/testing'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { MIGRATIONS, SqliteLongTermStore, SqliteShortTermStore } from '../src/index.js'
import { APPLICATION_ID, MIGRATIONS_TABLE } from '../src/migrations/run-migrations.js'
import { tempDatabasePath } from './temp-database.js'

type Listing = { listTasks(query: TaskIndexQuery): Promise<TaskIndexPage> }

/** Every task of `query`, page by page. */
const listAll = (store: Listing, query: TaskIndexQuery): Promise<Task[]> => readWholeIndex((q) => store.listTasks(q), query)

const ids = (tasks: Task[]) => tasks.map((task) => task.id)
/** Tasks created 1 ms apart, oldest first. */
const series = (count: number, fields: (i: number) => Partial<Task> = () => ({})) =>
  Array.from({ length: count }, (_, i) => makeTask({ createdAt: 1_700_000_000_000 + i, updatedAt: 1, ...fields(i) }))

describe('the SQLite task list', () => {
  it('is the same after the file is reopened, in both stores', async () => {
    const path = tempDatabasePath()
    const tasks = series(5, (i) => ({ status: i % 2 ? 'completed' : 'pending' }))
    const live = new SqliteShortTermStore({ path })
    const archive = new SqliteLongTermStore({ path })
    for (const task of tasks) {
      await live.createTask(task)
      await archive.saveTask(task)
    }
    await live.close()
    await archive.close()

    const newestFirst = ids([...tasks].reverse())
    const reopened = [new SqliteShortTermStore({ path }), new SqliteLongTermStore({ path })]
    for (const store of reopened) {
      expect(ids(await listAll(store, { limit: 2 }))).toEqual(newestFirst)
      expect(ids(await listAll(store, { statuses: ['completed'], limit: 10 }))).toEqual([tasks[3]!.id, tasks[1]!.id])
      await store.close()
    }
  })

  it('indexes the tasks of a file written at schema version 1 when it is upgraded', async () => {
    const path = tempDatabasePath()
    const [older, newer] = series(2, () => ({ type: 'llm.chat' }))
    const db = new Database(path)
    db.pragma(`application_id = ${APPLICATION_ID}`)
    db.exec(`CREATE TABLE ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
    db.exec(MIGRATIONS[0]!.sql)
    db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} VALUES (1, 'init', 0)`).run()
    db.prepare('INSERT INTO tasks (id, status, task) VALUES (?, ?, ?)').run(older!.id, older!.status, JSON.stringify(older))
    db.prepare('INSERT INTO archive_tasks (id, status, task) VALUES (?, ?, ?)').run(older!.id, older!.status, JSON.stringify(older))
    db.close()

    const live = new SqliteShortTermStore({ path })
    const archive = new SqliteLongTermStore({ path })
    await live.createTask(newer!)
    await archive.saveTask(newer!)
    for (const store of [live, archive]) {
      expect(await store.listTasks({ types: ['llm.*'], limit: 10 })).toEqual({ tasks: [newer, older], next: null })
      await store.close()
    }
  })

  it('does not list a task past its expire() deadline, though the sweep has not removed it yet', async () => {
    const store = new SqliteShortTermStore({ path: tempDatabasePath() })
    const [kept, expiring, gone] = series(3)
    for (const task of [kept!, expiring!, gone!]) await store.createTask(task)
    await store.expire(gone!.id, 0)
    await store.expire(expiring!.id, 3600)
    expect(await listAll(store, { limit: 1 })).toEqual([expiring, kept])
    expect(await listAll(store, { statuses: ['pending'], limit: 5 })).toEqual([expiring, kept])
    // Its id may be used again, and the new task is listed in its own place.
    const again = { ...gone!, createdAt: gone!.createdAt - 10 }
    expect(await store.createTask(again)).toBe(true)
    expect(await listAll(store, { limit: 5 })).toEqual([expiring, kept, again])
    await store.close()
  })

  it(`examines at most ${TASK_LIST_SCAN_LIMIT} rows for a page, and answers a short page with the key to go on from`, async () => {
    const store = new SqliteLongTermStore({ path: tempDatabasePath() })
    const common = series(TASK_LIST_SCAN_LIMIT + 100, (i) => ({ type: 'common', createdAt: 1_800_000_000_000 + i }))
    const [rare] = series(1, () => ({ type: 'rare' }))
    for (const task of [rare!, ...common]) await store.saveTask(task)

    const first = await store.listTasks({ types: ['rare'], limit: 10 })
    // Newest first: the scan stops at the 5,000th newest common task.
    expect(first).toEqual({ tasks: [], next: taskIndexKey(common[100]!) })
    expect(await store.listTasks({ types: ['rare'], limit: 10, after: first.next! })).toEqual({ tasks: [rare], next: null })
    await store.close()
  })

  it('merges several statuses over many rounds of reading, in index order either way', async () => {
    const store = new SqliteShortTermStore({ path: tempDatabasePath() })
    const statuses = ['pending', 'running', 'completed'] as const
    // Same-millisecond ties across statuses, so the merge must order by id within a millisecond.
    const tasks = series(1_500, (i) => ({ status: statuses[i % 3], type: i % 4 ? 'job.a' : 'other', createdAt: 1_700_000_000_000 + Math.floor(i / 6) }))
    for (const task of tasks) await store.createTask(task)

    const expected = tasks
      .filter((task) => task.status !== 'completed' && task.type === 'job.a')
      .sort((a, b) => (taskIndexKey(a) < taskIndexKey(b) ? 1 : -1))
    const listed = await listAll(store, { statuses: ['running', 'pending'], types: ['job.*'], limit: 97 })
    expect(ids(listed)).toEqual(ids(expected))
    expect(listed).toHaveLength(750)
    const oldestFirst = await listAll(store, { statuses: ['running', 'pending'], types: ['job.*'], oldestFirst: true, limit: 97 })
    expect(ids(oldestFirst)).toEqual(ids(expected).reverse())
    await store.close()
  })
})
