// Part of the short-term and the long-term store contracts: the task index of SPEC §21 —
// order, filters, cursor paging while tasks are being created, and no ghosts after a delete.
// Each test owns a window of `createdAt` far from every other test's, so the suite runs on a
// store other tests share and never sees their tasks.
import { describe, expect, it } from 'vitest'
import type { TaskIndexPage, TaskIndexQuery } from '../task-list.js'
import { taskIndexKey } from '../task-list.js'
import type { Task, TaskStatus } from '../types.js'
import { makeTask } from './fixtures.js'

/** How a suite writes and reads the index of one kind of store. */
export interface TaskIndexDriver {
  list(query: TaskIndexQuery): Promise<TaskIndexPage>
  /** Stores a new task (short-term `createTask`, long-term `saveTask`). */
  put(task: Task): Promise<void>
  /** Moves a stored task to `status` (a short-term transition, a long-term snapshot). */
  move(task: Task, status: TaskStatus): Promise<void>
  remove(taskId: string): Promise<void>
}

let windowSeed = Math.floor(Math.random() * 1e6)

/** A fresh `createdAt` window (1 s wide) for one test, in the year ~2200. */
function freshWindow(): { start: number; query: Pick<TaskIndexQuery, 'createdAfter' | 'createdBefore'> } {
  const start = 7_258_118_400_000 + ++windowSeed * 10_000
  return { start, query: { createdAfter: start - 1, createdBefore: start + 1_000 } }
}

/**
 * Every task of `query`, page by page, from `list` (a store's `listTasks`); fails if a cursor
 * does not move down the index or paging does not end. `between` runs between two pages.
 */
export async function readWholeIndex(
  list: (query: TaskIndexQuery) => Promise<TaskIndexPage>,
  query: TaskIndexQuery,
  between?: () => Promise<void>,
): Promise<Task[]> {
  const tasks: Task[] = []
  let after: string | undefined
  for (let page = 0; page < 1_000; page++) {
    const result = await list({ ...query, ...(after === undefined ? {} : { after }) })
    tasks.push(...result.tasks)
    if (result.next === null) return tasks
    const moves = after === undefined || (query.oldestFirst ? result.next > after : result.next < after)
    expect(moves, 'the cursor moves along the index').toBe(true)
    after = result.next
    await between?.()
  }
  throw new Error('paging did not end')
}

function readAll(driver: TaskIndexDriver, query: TaskIndexQuery, between?: () => Promise<void>): Promise<Task[]> {
  return readWholeIndex((q) => driver.list(q), query, between)
}

const keysOf = (tasks: Task[]) => tasks.map(taskIndexKey)
const newestFirst = (tasks: Task[]) => keysOf(tasks).sort().reverse()

export interface TaskIndexSuiteOptions {
  /** The store answers `oldestFirst` (short-term stores: workers take the oldest task first). */
  oldestFirst?: boolean
}

export function describeTaskIndexOverStore(name: string, getDriver: () => TaskIndexDriver, options: TaskIndexSuiteOptions = {}): void {
  describe(`task index (${name})`, () => {
    if (options.oldestFirst) {
      it('lists oldest first with oldestFirst, paging up the index, within the created bounds', async () => {
        const driver = getDriver()
        const { start, query } = freshWindow()
        const tasks = Array.from({ length: 11 }, (_, i) => makeTask({ createdAt: start + Math.floor(i / 3), updatedAt: start }))
        for (const task of tasks) await driver.put(task)
        const listed = await readAll(driver, { ...query, oldestFirst: true, limit: 4 })
        expect(keysOf(listed)).toEqual(newestFirst(tasks).reverse())
        const later = await readAll(driver, { createdAfter: start + 1, createdBefore: start + 3, oldestFirst: true, limit: 2 })
        expect(keysOf(later)).toEqual(newestFirst(tasks.filter((task) => task.createdAt === start + 2)).reverse())
      })

      it('finds the oldest pending tasks created with assign, by status, type and assignable', async () => {
        const driver = getDriver()
        const { start, query } = freshWindow()
        const plain = makeTask({ type: 'job.a', createdAt: start, updatedAt: start })
        const first = makeTask({ type: 'job.a', assign: { tags: ['gpu'] }, createdAt: start + 1, updatedAt: start })
        const second = makeTask({ type: 'job.b', assign: {}, createdAt: start + 2, updatedAt: start })
        const taken = makeTask({ type: 'job.a', assign: {}, createdAt: start + 3, updatedAt: start })
        for (const task of [plain, first, second, taken]) await driver.put(task)
        await driver.move(taken, 'running')
        const ids = async (extra: Partial<TaskIndexQuery>) =>
          (await readAll(driver, { ...query, statuses: ['pending'], assignable: true, oldestFirst: true, limit: 1, ...extra })).map((task) => task.id)
        expect(await ids({})).toEqual([first.id, second.id])
        expect(await ids({ types: ['job.b'] })).toEqual([second.id])
        const stored = (await driver.list({ ...query, statuses: ['pending'], assignable: true, oldestFirst: true, limit: 1 })).tasks[0]
        expect(stored?.assign).toEqual({ tags: ['gpu'] })
      })
    }

    it('lists newest first, ties by id descending, and pages through each task exactly once', async () => {
      const driver = getDriver()
      const { start, query } = freshWindow()
      const tasks = Array.from({ length: 11 }, (_, i) => makeTask({ createdAt: start + Math.floor(i / 3), updatedAt: start }))
      for (const task of tasks) await driver.put(task)
      const listed = await readAll(driver, { ...query, limit: 4 })
      expect(keysOf(listed)).toEqual(newestFirst(tasks))
      expect(listed[0]).toEqual(tasks.find((task) => taskIndexKey(task) === newestFirst(tasks)[0]))
      const first = await driver.list({ ...query, limit: 11 })
      expect(first.tasks).toHaveLength(11)
      const rest = first.next === null ? [] : (await driver.list({ ...query, limit: 11, after: first.next })).tasks
      expect(rest).toEqual([])
    })

    it('pages 400 tasks created concurrently with a page size of 37 while newer tasks keep arriving', async () => {
      const driver = getDriver()
      const { start, query } = freshWindow()
      const tasks = Array.from({ length: 400 }, (_, i) => makeTask({ createdAt: start + (i % 50), updatedAt: start }))
      await Promise.all(tasks.map((task) => driver.put(task)))
      let later = 0
      const listed = await readAll(driver, { ...query, limit: 37 }, async () => {
        // Newer than every task listed so far: they land above the cursor, never in the pages still to come.
        await Promise.all(
          Array.from({ length: 3 }, () => driver.put(makeTask({ createdAt: start + 900 + later++, updatedAt: start }))),
        )
      })
      expect(later).toBeGreaterThan(0)
      expect(keysOf(listed)).toEqual(newestFirst(tasks))
    })

    it('filters by any of several statuses and follows transitions', async () => {
      const driver = getDriver()
      const { start, query } = freshWindow()
      const [a, b, c, d] = [0, 1, 2, 3].map((i) => makeTask({ createdAt: start + i, updatedAt: start }))
      for (const task of [a!, b!, c!, d!]) await driver.put(task)
      await driver.move(b!, 'running')
      await driver.move(c!, 'running')
      await driver.move(c!, 'blocked')
      await driver.move(d!, 'running')
      await driver.move(d!, 'completed')
      const ids = async (statuses: TaskStatus[]) =>
        (await readAll(driver, { ...query, statuses, limit: 10 })).map((task) => task.id)
      expect(await ids(['pending'])).toEqual([a!.id])
      expect(await ids(['running', 'blocked'])).toEqual([c!.id, b!.id])
      expect(await ids(['completed'])).toEqual([d!.id])
      expect(await ids(['failed'])).toEqual([])
      const blocked = await readAll(driver, { ...query, statuses: ['blocked'], limit: 10 })
      expect(blocked[0]?.status).toBe('blocked')
    })

    it('filters by type with wildcards; a task without a type matches no type filter', async () => {
      const driver = getDriver()
      const { start, query } = freshWindow()
      const chat = makeTask({ type: 'llm.chat', createdAt: start, updatedAt: start })
      const embed = makeTask({ type: 'llm.embed', createdAt: start + 1, updatedAt: start })
      const other = makeTask({ type: 'render', createdAt: start + 2, updatedAt: start })
      const untyped = makeTask({ createdAt: start + 3, updatedAt: start })
      for (const task of [chat, embed, other, untyped]) await driver.put(task)
      const ids = async (types: string[]) => (await readAll(driver, { ...query, types, limit: 2 })).map((task) => task.id)
      expect(await ids(['llm.*'])).toEqual([embed.id, chat.id])
      expect(await ids(['render', 'llm.chat'])).toEqual([other.id, chat.id])
      expect(await ids(['*'])).toEqual([other.id, embed.id, chat.id])
      expect(await ids(['llm'])).toEqual([])
      expect((await readAll(driver, { ...query, limit: 10 })).map((task) => task.id)).toEqual([
        untyped.id,
        other.id,
        embed.id,
        chat.id,
      ])
    })

    it('bounds createdAfter and createdBefore exclusively, and combines every filter', async () => {
      const driver = getDriver()
      const { start } = freshWindow()
      const tasks = [0, 1, 2, 3, 4].map((i) => makeTask({ type: i % 2 ? 'job.odd' : 'job.even', createdAt: start + i * 10, updatedAt: start }))
      for (const task of tasks) await driver.put(task)
      await driver.move(tasks[2]!, 'running')
      const ids = async (extra: Partial<TaskIndexQuery>) =>
        (await readAll(driver, { createdAfter: start - 1, createdBefore: start + 41, limit: 10, ...extra })).map((task) => task.id)
      expect(await ids({ createdAfter: start + 10, createdBefore: start + 40 })).toEqual([tasks[3]!.id, tasks[2]!.id])
      expect(await ids({ createdAfter: start + 9, createdBefore: start + 11 })).toEqual([tasks[1]!.id])
      expect(await ids({ types: ['job.even'], statuses: ['pending'] })).toEqual([tasks[4]!.id, tasks[0]!.id])
      expect(await ids({ types: ['job.*'], statuses: ['running'], createdBefore: start + 20 })).toEqual([])
      expect(await ids({ types: ['job.even'], statuses: ['running', 'pending'], createdAfter: start })).toEqual([tasks[4]!.id, tasks[2]!.id])
    })

    it('never lists a deleted task, under any filter', async () => {
      const driver = getDriver()
      const { start, query } = freshWindow()
      const tasks = [0, 1, 2].map((i) => makeTask({ type: 'gone.x', createdAt: start + i, updatedAt: start }))
      for (const task of tasks) await driver.put(task)
      await driver.move(tasks[1]!, 'running')
      await driver.remove(tasks[1]!.id)
      await driver.remove(tasks[0]!.id)
      expect((await readAll(driver, { ...query, limit: 1 })).map((task) => task.id)).toEqual([tasks[2]!.id])
      expect(await readAll(driver, { ...query, statuses: ['running'], limit: 5 })).toEqual([])
      expect(await readAll(driver, { ...query, types: ['gone.*'], statuses: ['pending'], limit: 5 })).toEqual([tasks[2]])
    })
  })
}
