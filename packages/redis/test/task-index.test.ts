// Redis-specific behaviour of the task index (listTasks, SPEC §21): ghosts of tasks that vanished
// by TTL or without a trace, stale status entries, the prune of index:expiring, concurrent
// transitions (paging either way), and the scan bound. Core's contract covers order, paging,
// filters and delete.
import type { Task, TaskIndexQuery, TaskStatus } from '@taskcast/core'
import { taskIndexKey, TASK_LIST_SCAN_LIMIT } from '@taskcast/core/internal'
import { makeTask, statusDraft } from '@taskcast/core/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisShortTermStore, WRITE_CONNECTION_OPTIONS } from '../src/index.js'
import { taskIndexKeyOfAll, taskIndexKeyOfExpiring, taskIndexKeyOfStatus, taskKeys } from '../src/keys.js'
import { adminClient, deleteKeysUnder, REDIS_URL, redisAvailable, runPrefix } from './redis.js'

let windows = 0

/** A `createdAt` window of this test's own (1,000 s wide), far from every other test's. */
function freshWindow(): { start: number; query: Pick<TaskIndexQuery, 'createdAfter' | 'createdBefore'> } {
  const start = 7_258_118_400_000 + ++windows * 10_000_000
  return { start, query: { createdAfter: start - 1, createdBefore: start + 1_000_000 } }
}

const newestFirst = (tasks: Task[]) => tasks.map(taskIndexKey).sort().reverse()

if (redisAvailable('Redis task index')) {
  describe('RedisShortTermStore task index', () => {
    const keyPrefix = runPrefix('task-index')
    const allSet = taskIndexKeyOfAll(keyPrefix)
    const expiringSet = taskIndexKeyOfExpiring(keyPrefix)
    const statusSet = (status: TaskStatus) => taskIndexKeyOfStatus(keyPrefix, status)
    const taskHash = (task: Task) => taskKeys(keyPrefix, task.id)[0]
    let admin: Redis
    let store: RedisShortTermStore

    beforeAll(() => {
      admin = adminClient()
      store = new RedisShortTermStore({ url: REDIS_URL, keyPrefix })
    })
    afterAll(async () => {
      await store.close()
      admin.disconnect()
      await deleteKeysUnder(keyPrefix)
    })

    async function create(...tasks: Task[]): Promise<void> {
      for (const created of await Promise.all(tasks.map((task) => store.createTask(task)))) expect(created).toBe(true)
    }

    function request(task: Task, from: TaskStatus, to: TaskStatus) {
      return { from, patch: { status: to, updatedAt: task.updatedAt + 1 }, event: statusDraft(task.id, to, from) }
    }

    async function move(task: Task, from: TaskStatus, to: TaskStatus) {
      return store.transitionTask(task.id, request(task, from, to))
    }

    /** The ids of every task of `query`, page by page. */
    async function ids(query: TaskIndexQuery): Promise<string[]> {
      const listed: string[] = []
      let after: string | undefined
      for (let page = 0; page < 1_000; page++) {
        const result = await store.listTasks({ ...query, ...(after === undefined ? {} : { after }) })
        listed.push(...result.tasks.map((task) => task.id))
        if (result.next === null) return listed
        after = result.next
      }
      throw new Error('paging did not end')
    }

    /** The sets (among `sets`) that hold `task`'s index member. */
    async function setsHolding(task: Task, sets: string[]): Promise<string[]> {
      const scores = await Promise.all(sets.map((set) => admin.zscore(set, taskIndexKey(task))))
      return sets.filter((_, i) => scores[i] !== null)
    }
    const everySet = () => [allSet, ...(['pending', 'running', 'completed'] as const).map(statusSet), expiringSet]

    /** Resolves once Redis has expired `key` (a TTL has no event to await). */
    async function untilGone(key: string): Promise<void> {
      for (let attempt = 0; attempt < 500; attempt++) {
        if ((await admin.exists(key)) === 0) return
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      throw new Error(`${key} never expired`)
    }

    it('lists no ghost of a task expire() let vanish, and takes its entries out of every set', async () => {
      const { start, query } = freshWindow()
      const [a, b, c] = [0, 1, 2].map((i) => makeTask({ createdAt: start + i }))
      await create(a!, b!, c!)
      await store.expire(b!.id, 0.05)
      expect(await setsHolding(b!, everySet())).toEqual([allSet, statusSet('pending'), expiringSet])
      await untilGone(taskHash(b!))
      expect(await ids({ ...query, limit: 1 })).toEqual([c!.id, a!.id])
      expect(await ids({ ...query, statuses: ['pending'], limit: 5 })).toEqual([c!.id, a!.id])
      expect(await setsHolding(b!, everySet())).toEqual([])
    })

    it('prunes the entries of a task retentionSeconds let vanish, though no page reads them', async () => {
      const retained = new RedisShortTermStore({ url: REDIS_URL, keyPrefix, retentionSeconds: 0.05 })
      try {
        const { start, query } = freshWindow()
        const brief = makeTask({ createdAt: start })
        const lasting = makeTask({ createdAt: start + 1 })
        expect(await retained.createTask(brief)).toBe(true)
        await create(lasting)
        await untilGone(taskHash(brief))
        expect(await setsHolding(brief, everySet())).toEqual([allSet, statusSet('pending'), expiringSet])
        const elsewhere = freshWindow().query
        expect(await store.listTasks({ ...elsewhere, limit: 10 })).toEqual({ tasks: [], next: null })
        expect(await setsHolding(brief, everySet())).toEqual([])
        expect(await ids({ ...query, limit: 10 })).toEqual([lasting.id])
      } finally {
        await retained.close()
      }
    })

    it('keeps a due entry whose task a later write kept alive, scored again by its TTL', async () => {
      const retained = new RedisShortTermStore({ url: REDIS_URL, keyPrefix, retentionSeconds: 60 })
      try {
        const { start, query } = freshWindow()
        const task = makeTask({ createdAt: start })
        expect(await retained.createTask(task)).toBe(true)
        await admin.zadd(expiringSet, 0, taskIndexKey(task))
        const before = Date.now()
        await store.listTasks({ ...freshWindow().query, limit: 10 })
        expect(Number(await admin.zscore(expiringSet, taskIndexKey(task)))).toBeGreaterThan(before + 50_000)
        expect(await ids({ ...query, limit: 10 })).toEqual([task.id])
      } finally {
        await retained.close()
      }
    })

    it('drops the entry of a task that vanished without a trace, or of another createdAt, once a page reads it', async () => {
      const { start, query } = freshWindow()
      const [a, b] = [0, 1].map((i) => makeTask({ createdAt: start + i }))
      await create(a!, b!)
      await admin.del(taskHash(b!)) // as an eviction would
      const impostor = { ...a!, createdAt: start + 5 } // an earlier incarnation of the id, say
      await Promise.all([admin.zadd(allSet, 0, taskIndexKey(impostor)), admin.zadd(statusSet('pending'), 0, taskIndexKey(impostor))])
      expect(await setsHolding(b!, everySet())).toEqual([allSet, statusSet('pending')])
      expect(await ids({ ...query, limit: 10 })).toEqual([a!.id])
      expect(await setsHolding(b!, everySet())).toEqual([])
      expect(await setsHolding(impostor, everySet())).toEqual([])
      expect(await ids({ ...query, statuses: ['pending'], limit: 10 })).toEqual([a!.id])
    })

    it('does not list a stale status entry, and takes it out of that set only', async () => {
      const { start, query } = freshWindow()
      const task = makeTask({ createdAt: start })
      await create(task)
      await move(task, 'pending', 'running')
      // What a process dying between a transition's script and its cleanup leaves, and a stray one.
      await Promise.all(['pending' as const, 'completed' as const].map((status) => admin.zadd(statusSet(status), 0, taskIndexKey(task))))
      expect(await ids({ ...query, statuses: ['completed'], limit: 10 })).toEqual([])
      expect(await ids({ ...query, statuses: ['pending', 'running'], limit: 10 })).toEqual([task.id])
      expect(await setsHolding(task, everySet())).toEqual([allSet, statusSet('running')])
    })

    it('keeps a task in its status set when a page removed the entry its transition wrote before the script', async () => {
      const { start, query } = freshWindow()
      const task = makeTask({ createdAt: start })
      await create(task)
      // A page read between the entry transitionTask writes before its script and the script:
      // it sees a pending task in the running set, and removes the entry.
      // No auto-pipelining: its pipelines copy the client's script functions, the one patched below included.
      const connection = new Redis(REDIS_URL, { ...WRITE_CONNECTION_OPTIONS, enableAutoPipelining: false })
      const writer = new RedisShortTermStore({ redis: connection, keyPrefix })
      const scripts = connection as unknown as { taskcastTransitionTask: (...args: unknown[]) => Promise<unknown> }
      const script = scripts.taskcastTransitionTask.bind(connection)
      let between: string[] | undefined
      scripts.taskcastTransitionTask = async (...args) => {
        await connection.ping() // sent after the entry, on the same connection: the entry is written
        between = await ids({ ...query, statuses: ['running'], limit: 10 })
        return script(...args)
      }
      try {
        const outcome = await writer.transitionTask(task.id, request(task, 'pending', 'running'))
        expect(outcome?.task.status).toBe('running')
      } finally {
        await writer.close()
        connection.disconnect()
      }
      expect(between).toEqual([])
      expect(await ids({ ...query, statuses: ['running'], limit: 10 })).toEqual([task.id])
      expect(await setsHolding(task, everySet())).toEqual([allSet, statusSet('running')])
    })

    it('leaves the winner of two concurrent transitions in its status set, and no entry of one refused', async () => {
      const { start, query } = freshWindow()
      const task = makeTask({ createdAt: start })
      await create(task)
      const outcomes = await Promise.all([move(task, 'pending', 'running'), move(task, 'pending', 'running')])
      expect(outcomes.filter((outcome) => outcome !== null)).toHaveLength(1)
      expect(await move(task, 'pending', 'completed')).toBeNull()
      expect(await setsHolding(task, everySet())).toEqual([allSet, statusSet('running')])
      expect(await ids({ ...query, statuses: ['running', 'completed', 'pending'], limit: 10 })).toEqual([task.id])
    })

    it('leaves no ghost of a create refused for an existing id, and the existing task listed', async () => {
      const { start, query } = freshWindow()
      const task = makeTask({ createdAt: start })
      await create(task)
      const other = { ...task, createdAt: start + 1 }
      expect(await store.createTask(other)).toBe(false)
      expect(await setsHolding(other, everySet())).toEqual([])
      expect(await store.createTask(task)).toBe(false)
      expect(await setsHolding(task, everySet())).toEqual([allSet, statusSet('pending')])
      expect(await ids({ ...query, limit: 10 })).toEqual([task.id])
    })

    it('takes a deleted task out of every set', async () => {
      const { start } = freshWindow()
      const task = makeTask({ createdAt: start })
      await create(task)
      await move(task, 'pending', 'running')
      await store.expire(task.id, 3600)
      expect(await setsHolding(task, everySet())).toEqual([allSet, statusSet('running'), expiringSet])
      expect(await store.deleteTask(task.id)).toBe(true)
      expect(await setsHolding(task, everySet())).toEqual([])
    })

    it('pages 1,000 tasks created concurrently with a page size of 37, each exactly once, while newer ones arrive', async () => {
      const { start, query } = freshWindow()
      const tasks = Array.from({ length: 1_000 }, (_, i) => makeTask({ createdAt: start + (i % 100) }))
      await create(...tasks)
      let newer = 0
      const arrive = () => create(...Array.from({ length: 3 }, () => makeTask({ createdAt: start + 500_000 + newer++ })))
      const listed: Task[] = []
      let page = await store.listTasks({ ...query, limit: 37 })
      let pages = 1
      listed.push(...page.tasks)
      while (page.next !== null) {
        // The cursor is below every newer task: they never reach the pages still to come.
        ;[page] = await Promise.all([store.listTasks({ ...query, limit: 37, after: page.next }), arrive()])
        listed.push(...page.tasks)
        pages++
      }
      expect(listed.map(taskIndexKey)).toEqual(newestFirst(tasks))
      expect(pages).toBe(Math.ceil(1_000 / 37))
      expect(newer).toBe(3 * (pages - 1))
    })

    it('pages pending tasks oldest first while listed ones move to running: none skipped or repeated', async () => {
      const { start, query } = freshWindow()
      const tasks = Array.from({ length: 60 }, (_, i) => makeTask({ createdAt: start + Math.floor(i / 2) }))
      await create(...tasks)
      const inOrder = [...tasks].sort((a, b) => (taskIndexKey(a) < taskIndexKey(b) ? -1 : 1))
      // Every 3rd task leaves pending once a page has listed it, while the next page is read.
      const taken = inOrder.filter((_, i) => i % 3 === 2).map((task) => task.id)
      const takeListed = (listed: Task[]) =>
        Promise.all(
          listed.filter((task) => taken.includes(task.id)).map(async (task) => expect(await move(task, 'pending', 'running')).not.toBeNull()),
        )
      const pending: TaskIndexQuery = { ...query, statuses: ['pending'], oldestFirst: true, limit: 7 }
      const listed: Task[] = []
      let page = await store.listTasks(pending)
      let pages = 1
      listed.push(...page.tasks)
      while (page.next !== null) {
        ;[page] = await Promise.all([store.listTasks({ ...pending, after: page.next }), takeListed(page.tasks)])
        listed.push(...page.tasks)
        pages++
      }
      await takeListed(page.tasks)
      expect(listed.map(taskIndexKey)).toEqual(inOrder.map(taskIndexKey))
      expect(pages).toBe(Math.ceil(60 / 7))
      expect(await ids(pending)).toEqual(inOrder.map((task) => task.id).filter((id) => !taken.includes(id)))
      expect(await ids({ ...pending, statuses: ['running'] })).toEqual(taken)
      // The two status sets merged upwards, page by page.
      expect(await ids({ ...pending, statuses: ['running', 'pending'] })).toEqual(inOrder.map((task) => task.id))
    })

    it(`examines at most TASK_LIST_SCAN_LIMIT entries a page: a short page with a cursor, and paging ends`, async () => {
      const { start, query } = freshWindow()
      const noise = Array.from({ length: TASK_LIST_SCAN_LIMIT + 100 }, (_, i) => makeTask({ type: 'noise', createdAt: start + 10 + i }))
      const rare = [0, 1, 2].map((i) => makeTask({ type: 'rare', createdAt: start + i }))
      for (let i = 0; i < noise.length; i += 1_000) await create(...noise.slice(i, i + 1_000))
      await create(...rare)
      const first = await store.listTasks({ ...query, types: ['rare'], limit: 10 })
      // The newest TASK_LIST_SCAN_LIMIT entries are noise: the page ends at the last one examined.
      expect(first).toEqual({ tasks: [], next: taskIndexKey(noise[100]!) })
      const second = await store.listTasks({ ...query, types: ['rare'], limit: 10, after: first.next! })
      expect(second.tasks.map((task) => task.id)).toEqual([rare[2]!.id, rare[1]!.id, rare[0]!.id])
      expect(second.next).toBeNull()
    })
  })
}
