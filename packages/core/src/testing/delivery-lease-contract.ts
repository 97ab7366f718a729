// The delivery lease contract: one suite every store with webhook delivery leases
// (`ShortTermStore.deliveries`, a DeliveryLeaseStore) must pass unchanged.
import { afterEach, describe, expect, it } from 'vitest'
import type { DeliveryLeaseStore } from '../storage/delivery-lease-store.js'
import type { ShortTermStore } from '../storage/short-term-store.js'
import type { Task } from '../types.js'
import { makeDraft, makeTask, statusDraft } from './fixtures.js'

type LeaseStore = ShortTermStore & { readonly deliveries: DeliveryLeaseStore }

export interface DeliveryLeaseContractOptions {
  /** A store of its own for each test (its delivery index starts empty). */
  create: () => LeaseStore
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const LONG = 60_000

export function describeDeliveryLeaseContract(name: string, options: DeliveryLeaseContractOptions): void {
  describe(`delivery leases (${name})`, () => {
    const opened: LeaseStore[] = []
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()))
    })

    function open(): { store: LeaseStore; leases: DeliveryLeaseStore } {
      const store = options.create()
      opened.push(store)
      return { store, leases: store.deliveries }
    }

    /** A running task with `events` user events after its status event (index 0). */
    async function runningTask(store: LeaseStore, events = 0): Promise<Task> {
      const task = makeTask()
      expect(await store.createTask(task)).toBe(true)
      await store.transitionTask(task.id, {
        from: 'pending',
        patch: { status: 'running', updatedAt: task.createdAt },
        event: statusDraft(task.id, 'running', 'pending'),
      })
      if (events > 0) await store.appendEvents(task.id, Array.from({ length: events }, () => makeDraft(task.id)))
      return { ...task, status: 'running' }
    }

    async function complete(store: LeaseStore, task: Task): Promise<void> {
      await store.transitionTask(task.id, {
        from: 'running',
        patch: { status: 'completed', updatedAt: Date.now(), completedAt: Date.now() },
        event: statusDraft(task.id, 'completed', 'running'),
      })
    }

    it('leases a delivery with work from the start of the log, with the task incarnation', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 2)
      expect(await leases.acquire(task.id, 'w', 'a', LONG)).toEqual({
        status: 'acquired',
        cursor: -1,
        filteredCount: 0,
        taskCreatedAt: task.createdAt,
      })
    })

    it('is idle, taking no lease, when nothing follows the cursor', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 1)
      expect(await leases.acquire(task.id, 'w', 'a', LONG)).toMatchObject({ status: 'acquired' })
      expect(await leases.release(task.id, 'w', 'a', LONG, { cursor: 1, filteredCount: 2 })).toBe('released')
      expect(await leases.acquire(task.id, 'w', 'b', LONG)).toEqual({ status: 'idle' })
      // b took nothing: c finds the delivery free as soon as there is work.
      await store.appendEvents(task.id, [makeDraft(task.id)])
      expect(await leases.acquire(task.id, 'w', 'c', LONG)).toMatchObject({ status: 'acquired', cursor: 1, filteredCount: 2 })
    })

    it('gives the lease to exactly one of many owners racing for it', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 1)
      const owners = Array.from({ length: 20 }, (_, i) => `owner-${i}`)
      const results = await Promise.all(owners.map((owner) => leases.acquire(task.id, 'w', owner, LONG)))
      expect(results.filter((r) => r.status === 'acquired')).toHaveLength(1)
      const held = results.filter((r) => r.status === 'held')
      expect(held).toHaveLength(owners.length - 1)
      for (const r of held) expect(r.status === 'held' && r.remainingMs).toBeGreaterThan(LONG - 5000)
      // The winner may acquire again (it already holds the lease); the others still may not.
      const winner = owners[results.findIndex((r) => r.status === 'acquired')]!
      expect(await leases.acquire(task.id, 'w', winner, LONG)).toMatchObject({ status: 'acquired' })
      expect(await leases.acquire(task.id, 'w', 'late', LONG)).toMatchObject({ status: 'held' })
    })

    it('keeps the leases of different webhooks of a task apart', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 1)
      expect(await leases.acquire(task.id, 'w1', 'a', LONG)).toMatchObject({ status: 'acquired' })
      expect(await leases.acquire(task.id, 'w2', 'b', LONG)).toMatchObject({ status: 'acquired' })
      expect(await leases.extend(task.id, 'w1', 'a', LONG, { cursor: 1, filteredCount: 1 })).toBe('extended')
      expect(await leases.release(task.id, 'w2', 'b', LONG, { cursor: 0, filteredCount: 0 })).toBe('more')
      expect(await leases.release(task.id, 'w1', 'a', LONG, { cursor: 1, filteredCount: 1 })).toBe('released')
    })

    it('hands an expired lease over to another owner, at the cursor the first one stored', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 3)
      expect(await leases.acquire(task.id, 'w', 'a', 150)).toMatchObject({ status: 'acquired' })
      expect(await leases.extend(task.id, 'w', 'a', 150, { cursor: 1, filteredCount: 1 })).toBe('extended')
      const held = await leases.acquire(task.id, 'w', 'b', LONG)
      expect(held.status === 'held' && held.remainingMs).toBeGreaterThan(0)
      expect(held.status === 'held' && held.remainingMs).toBeLessThanOrEqual(150)
      await sleep(250)
      expect(await leases.acquire(task.id, 'w', 'b', LONG)).toMatchObject({ status: 'acquired', cursor: 1, filteredCount: 1 })
      // The first owner has lost it: it can neither extend, nor move the cursor, nor release.
      expect(await leases.extend(task.id, 'w', 'a', LONG, { cursor: 3, filteredCount: 3 })).toBe('lost')
      expect(await leases.release(task.id, 'w', 'a', LONG, { cursor: 3, filteredCount: 3 })).toBe('lost')
      expect(await leases.release(task.id, 'w', 'b', LONG, { cursor: 2, filteredCount: 2 })).toBe('more')
    })

    it('an extended lease does not expire', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 1)
      expect(await leases.acquire(task.id, 'w', 'a', 200)).toMatchObject({ status: 'acquired' })
      for (let i = 0; i < 4; i++) {
        await sleep(100)
        expect(await leases.extend(task.id, 'w', 'a', 200)).toBe('extended')
      }
      expect(await leases.acquire(task.id, 'w', 'b', LONG)).toMatchObject({ status: 'held' })
    })

    it('moves the cursor only by the holder and only forward', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 5)
      expect(await leases.extend(task.id, 'w', 'nobody', LONG, { cursor: 4, filteredCount: 4 })).toBe('lost')
      expect(await leases.acquire(task.id, 'w', 'a', LONG)).toMatchObject({ status: 'acquired', cursor: -1 })
      expect(await leases.extend(task.id, 'w', 'b', LONG, { cursor: 4, filteredCount: 4 })).toBe('lost')
      expect(await leases.extend(task.id, 'w', 'a', LONG, { cursor: 3, filteredCount: 2 })).toBe('extended')
      expect(await leases.extend(task.id, 'w', 'a', LONG, { cursor: 1, filteredCount: 1 })).toBe('extended')
      expect(await leases.release(task.id, 'w', 'a', LONG, { cursor: 2, filteredCount: 1 }, { force: true })).toBe('released')
      expect(await leases.acquire(task.id, 'w', 'b', LONG)).toMatchObject({ status: 'acquired', cursor: 3, filteredCount: 2 })
    })

    it('keeps the lease when events were appended after the released position', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 2)
      expect(await leases.acquire(task.id, 'w', 'a', LONG)).toMatchObject({ status: 'acquired' })
      expect(await leases.release(task.id, 'w', 'a', LONG, { cursor: 1, filteredCount: 1 })).toBe('more')
      expect(await leases.acquire(task.id, 'w', 'b', LONG)).toMatchObject({ status: 'held' })
      expect(await leases.release(task.id, 'w', 'a', LONG, { cursor: 2, filteredCount: 2 })).toBe('released')
      expect(await leases.release(task.id, 'w', 'a', LONG, { cursor: 2, filteredCount: 2 })).toBe('lost')
    })

    it('lets go regardless with force, and the next owner resumes there', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 4)
      expect(await leases.acquire(task.id, 'w', 'a', LONG)).toMatchObject({ status: 'acquired' })
      expect(await leases.release(task.id, 'w', 'a', LONG, { cursor: 2, filteredCount: 1 }, { force: true })).toBe('released')
      expect(await leases.acquire(task.id, 'w', 'b', LONG)).toMatchObject({ status: 'acquired', cursor: 2, filteredCount: 1 })
    })

    it('is done once the end of an ended task is handled, for good', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 1)
      expect(await leases.acquire(task.id, 'w', 'a', LONG)).toMatchObject({ status: 'acquired' })
      await complete(store, task)
      expect(await leases.release(task.id, 'w', 'a', LONG, { cursor: 1, filteredCount: 1 })).toBe('more')
      expect(await leases.release(task.id, 'w', 'a', LONG, { cursor: 2, filteredCount: 2 })).toBe('done')
      expect(await leases.acquire(task.id, 'w', 'b', LONG)).toEqual({ status: 'done' })
      expect(await leases.extend(task.id, 'w', 'a', LONG, { cursor: 0, filteredCount: 0 })).toBe('lost')
    })

    it('finds an ended task whose end was handled but never recorded as done', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 1)
      await complete(store, task)
      expect(await leases.acquire(task.id, 'w', 'a', LONG)).toMatchObject({ status: 'acquired' })
      expect(await leases.extend(task.id, 'w', 'a', 100, { cursor: 2, filteredCount: 3 })).toBe('extended')
      await sleep(200)
      expect(await leases.acquire(task.id, 'w', 'b', LONG)).toEqual({ status: 'done' })
    })

    it('goes with its task: gone once deleted, fresh for a task created again under the id', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 2)
      expect(await leases.acquire(task.id, 'w', 'a', LONG)).toMatchObject({ status: 'acquired' })
      expect(await leases.extend(task.id, 'w', 'a', LONG, { cursor: 2, filteredCount: 2 })).toBe('extended')
      await store.deleteTask(task.id)
      expect(await leases.extend(task.id, 'w', 'a', LONG)).toBe('gone')
      expect(await leases.acquire(task.id, 'w', 'a', LONG)).toEqual({ status: 'gone' })
      expect(await leases.release(task.id, 'w', 'a', LONG, { cursor: 2, filteredCount: 2 })).toBe('gone')
      const again = makeTask({ id: task.id, createdAt: task.createdAt + 1 })
      expect(await store.createTask(again)).toBe(true)
      await store.transitionTask(task.id, {
        from: 'pending',
        patch: { status: 'running', updatedAt: again.createdAt },
        event: statusDraft(task.id, 'running', 'pending'),
      })
      // The old owner's lease went with the old task.
      expect(await leases.acquire(task.id, 'w', 'b', LONG)).toEqual({
        status: 'acquired',
        cursor: -1,
        filteredCount: 0,
        taskCreatedAt: again.createdAt,
      })
    })

    it('keeps its records out of the task as read', async () => {
      const { store, leases } = open()
      const task = await runningTask(store, 1)
      await leases.acquire(task.id, 'w', 'a', LONG)
      await leases.extend(task.id, 'w', 'a', LONG, { cursor: 0, filteredCount: 0 })
      expect(await store.getTask(task.id)).toEqual({ ...task, status: 'running', updatedAt: task.createdAt })
    })

    describe('the index of deliveries', () => {
      it('tracks deliveries once, each keeping the time it was first given', async () => {
        const { leases } = open()
        await leases.track([{ taskId: 't1', key: 'g1' }, { taskId: 't1', key: 't0' }], 100)
        await leases.track([{ taskId: 't1', key: 'g1' }, { taskId: 't2', key: 'g1' }], 50)
        expect(await leases.claimDue(99, 1000, 10)).toEqual([{ taskId: 't2', key: 'g1' }])
        const due = await leases.claimDue(100, 1000, 10)
        expect(due.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
          { taskId: 't1', key: 'g1' },
          { taskId: 't1', key: 't0' },
        ])
      })

      it('claims each due delivery once, moving it to the time given, at most limit at a time', async () => {
        const { leases } = open()
        await leases.track(Array.from({ length: 5 }, (_, i) => ({ taskId: `t${i}`, key: 'k|with|bars' })), 10)
        const first = await leases.claimDue(10, 500, 3)
        expect(first).toHaveLength(3)
        expect(first.every((ref) => ref.key === 'k|with|bars')).toBe(true)
        const second = await leases.claimDue(10, 500, 3)
        expect(second).toHaveLength(2)
        expect(new Set([...first, ...second].map((ref) => ref.taskId)).size).toBe(5)
        expect(await leases.claimDue(499, 600, 10)).toEqual([])
        expect(await leases.claimDue(500, 600, 10)).toHaveLength(5)
      })

      it('gives each due delivery to one of several claimers at once', async () => {
        const { leases } = open()
        await leases.track(Array.from({ length: 40 }, (_, i) => ({ taskId: `t${i}`, key: 'w' })), 0)
        const claims = await Promise.all(Array.from({ length: 8 }, () => leases.claimDue(1, 10_000, 10)))
        const all = claims.flat().map((ref) => ref.taskId)
        expect(all).toHaveLength(40)
        expect(new Set(all).size).toBe(40)
      })

      it('schedules only deliveries it tracks, and forgets untracked ones', async () => {
        const { leases } = open()
        await leases.track([{ taskId: 't1', key: 'w' }], 1000)
        await leases.schedule({ taskId: 't1', key: 'w' }, 5)
        await leases.schedule({ taskId: 't2', key: 'w' }, 5)
        expect(await leases.claimDue(5, 2000, 10)).toEqual([{ taskId: 't1', key: 'w' }])
        await leases.untrack({ taskId: 't1', key: 'w' })
        expect(await leases.claimDue(10_000, 20_000, 10)).toEqual([])
      })
    })
  })
}
