// The storage contract: one suite every ShortTermStore adapter must pass unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TaskcastError } from '../errors.js'
import type { LogTail, ShortTermStore } from '../storage/short-term-store.js'
import type { TaskStatus } from '../types.js'
import { STATUS_EVENT_TYPE } from '../types.js'
import { makeDraft, makeTask, statusDraft } from './fixtures.js'
import { describeLifecycleOverStore } from './short-term-store-lifecycle.js'
import { describeProducersOverStore } from './short-term-store-producers.js'
import { describeTaskIndexOverStore } from './task-index-contract.js'

type OutboxMember = 'outboxAdd' | 'outboxTouch' | 'outboxList' | 'outboxClaim' | 'outboxRemove'

export interface ShortTermStoreContractOptions {
  /** Creates the store under test; called once for the suite. */
  create: () => Promise<ShortTermStore> | ShortTermStore
  /** Releases what `create` made (keys, connections). */
  destroy?: (store: ShortTermStore) => Promise<void>
  /** The store implements the optional shared deadlines (`dueDeadlines`, `clearDeadline`). */
  deadlines?: boolean
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(TaskcastError.isInstance(error), `expected a TaskcastError ${code}, got ${String(error)}`).toBe(true)
  expect((error as TaskcastError).code).toBe(code)
}

export function describeShortTermStoreContract(name: string, options: ShortTermStoreContractOptions): void {
  describe(`ShortTermStore contract: ${name}`, () => {
    let store: ShortTermStore

    beforeAll(async () => {
      store = await options.create()
    })
    afterAll(async () => {
      if (options.destroy) await options.destroy(store)
      else await store.close()
    })

    async function runningTask(extra: Parameters<typeof makeTask>[0] = {}) {
      const task = makeTask(extra)
      await store.createTask(task)
      const outcome = await store.transitionTask(task.id, {
        from: 'pending',
        patch: { status: 'running', updatedAt: Date.now() },
        event: statusDraft(task.id, 'running', 'pending'),
      })
      expect(outcome?.task.status).toBe('running')
      return task
    }

    it('creates a task once and refuses a duplicate id without changing it', async () => {
      const task = makeTask({ type: 'llm.chat', params: { prompt: 'hi', nested: { n: 1 } } })
      expect(await store.createTask(task)).toBe(true)
      expect(await store.createTask({ ...task, type: 'other' })).toBe(false)
      expect(await store.getTask(task.id)).toEqual(task)
    })

    it('returns null for an unknown task and copies the caller cannot use to corrupt it', async () => {
      expect(await store.getTask('no-such-task')).toBeNull()
      const task = makeTask({ metadata: { a: 1 } })
      await store.createTask(task)
      const read = await store.getTask(task.id)
      read!.metadata!.a = 2
      read!.status = 'failed'
      expect(await store.getTask(task.id)).toEqual(task)
    })

    it('transitions with compare-and-set and appends the status event atomically', async () => {
      const task = makeTask()
      await store.createTask(task)
      const stale = await store.transitionTask(task.id, {
        from: 'running',
        patch: { status: 'completed', updatedAt: 1 },
        event: statusDraft(task.id, 'completed', 'running'),
      })
      expect(stale).toBeNull()
      expect(await store.getEvents(task.id)).toEqual([])

      const outcome = await store.transitionTask(task.id, {
        from: 'pending',
        patch: { status: 'running', updatedAt: task.createdAt + 5 },
        event: statusDraft(task.id, 'running', 'pending'),
      })
      expect(outcome!.task).toEqual({ ...task, status: 'running', updatedAt: task.createdAt + 5 })
      expect(outcome!.event).toMatchObject({ taskId: task.id, index: 0, type: STATUS_EVENT_TYPE })
      expect(await store.getTask(task.id)).toEqual(outcome!.task)
      expect((await store.getEvents(task.id)).map((e) => e.index)).toEqual([0])
    })

    it('compares the assignment too when told the one the caller read: a later one of the same status does not pass', async () => {
      const task = makeTask({ assign: {} })
      await store.createTask(task)
      const assign = (at: number, from: 'pending' | 'assigned' = 'pending', fromAssignedAt?: number) =>
        store.transitionTask(task.id, {
          from,
          ...(fromAssignedAt !== undefined && { fromAssignedAt }),
          patch: { status: 'assigned', updatedAt: at, assignedTo: { workerId: `w${at}`, at } },
          event: statusDraft(task.id, 'assigned', from),
        })
      const giveBack = (fromAssignedAt: number) =>
        store.transitionTask(task.id, {
          from: 'assigned',
          fromAssignedAt,
          patch: { status: 'pending', updatedAt: fromAssignedAt + 1, assignedTo: undefined },
          event: statusDraft(task.id, 'pending', 'assigned'),
        })
      expect((await assign(100))!.task.assignedTo).toEqual({ workerId: 'w100', at: 100 })
      expect((await giveBack(100))!.task).not.toHaveProperty('assignedTo')
      expect((await assign(200))!.task.assignedTo).toEqual({ workerId: 'w200', at: 200 })
      // The first assignment's holder comes back late: the task is assigned, but not to it any more.
      expect(await giveBack(100)).toBeNull()
      expect(await assign(300, 'assigned', 100)).toBeNull()
      expect(await store.getTask(task.id)).toMatchObject({ status: 'assigned', assignedTo: { workerId: 'w200', at: 200 } })
      expect((await store.getEvents(task.id)).map((e) => e.index)).toEqual([0, 1, 2])
      expect((await giveBack(200))!.task.status).toBe('pending')
    })

    it('stores result, error and completedAt with a terminal transition', async () => {
      const task = await runningTask()
      const outcome = await store.transitionTask(task.id, {
        from: 'running',
        patch: { status: 'failed', updatedAt: 10, completedAt: 10, error: { code: 'E', message: 'boom', details: { x: [1] } } },
        event: statusDraft(task.id, 'failed', 'running'),
      })
      expect(outcome!.task).toMatchObject({ status: 'failed', completedAt: 10, error: { code: 'E', message: 'boom', details: { x: [1] } } })
      expect(await store.getTask(task.id)).toEqual(outcome!.task)
    })

    it('removes the patch fields given as undefined and sets the others, in the same step', async () => {
      const task = await runningTask()
      const request = { type: 'approval', data: { tool: 'shell', args: ['ls', null, 1.5] } }
      const blocked = await store.transitionTask(task.id, {
        from: 'running',
        patch: { status: 'blocked', updatedAt: 20, blockedRequest: request },
        event: statusDraft(task.id, 'blocked', 'running'),
      })
      expect(blocked!.task).toEqual({ ...task, status: 'blocked', updatedAt: 20, blockedRequest: request })
      const resumed = await store.transitionTask(task.id, {
        from: 'blocked',
        patch: { status: 'running', updatedAt: 30, blockedRequest: undefined, resolution: { approved: true } },
        event: statusDraft(task.id, 'running', 'blocked'),
      })
      const expected = { ...task, status: 'running', updatedAt: 30, resolution: { approved: true } }
      expect(resumed!.task).toEqual(expected)
      expect(resumed!.task).not.toHaveProperty('blockedRequest')
      const read = await store.getTask(task.id)
      expect(read).toEqual(expected)
      expect(read).not.toHaveProperty('blockedRequest')
      expect((await store.getEvents(task.id)).map((e) => e.index)).toEqual([0, 1, 2])
    })

    it('reports TASK_NOT_FOUND for a transition of an unknown task', async () => {
      await expectCode(
        store.transitionTask('missing-task', {
          from: 'pending',
          patch: { status: 'running', updatedAt: 1 },
          event: statusDraft('missing-task', 'running', 'pending'),
        }),
        'TASK_NOT_FOUND',
      )
    })

    it('lets exactly one of 50 concurrent transitions from the same status win', async () => {
      const task = await runningTask()
      const targets: TaskStatus[] = ['completed', 'failed', 'cancelled', 'timeout']
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const status = targets[i % targets.length]!
          return store.transitionTask(task.id, {
            from: 'running',
            patch: { status, updatedAt: Date.now() },
            event: statusDraft(task.id, status, 'running'),
          })
        }),
      )
      const winners = outcomes.filter((o) => o !== null)
      expect(winners).toHaveLength(1)
      const events = await store.getEvents(task.id)
      expect(events.map((e) => e.type)).toEqual([STATUS_EVENT_TYPE, STATUS_EVENT_TYPE])
      expect((await store.getTask(task.id))!.status).toBe(winners[0]!.task.status)
    })

    it('appends a batch with consecutive indexes after the status event', async () => {
      const task = await runningTask()
      const drafts = [1, 2, 3].map((n) => makeDraft(task.id, { data: { n } }))
      const events = await store.appendEvents(task.id, drafts)
      expect(events.map((e) => e.index)).toEqual([1, 2, 3])
      expect(events.map((e) => e.id)).toEqual(drafts.map((d) => d.id))
      const stored = await store.getEvents(task.id)
      expect(stored.map((e) => [e.index, e.data])).toEqual([
        [0, { status: 'running', previousStatus: 'pending' }],
        [1, { n: 1 }],
        [2, { n: 2 }],
        [3, { n: 3 }],
      ])
    })

    it('keeps every JSON value as it was given', async () => {
      const task = await runningTask()
      const data = { s: 'héllo 🌍 "quoted"\n', n: -1.5e-7, b: false, z: null, a: [1, [2, { c: {} }]], e: [] }
      const [event] = await store.appendEvents(task.id, [makeDraft(task.id, { data, level: 'warn', type: 'x.y' })])
      const [read] = await store.getEvents(task.id, { fromIndex: event!.index })
      expect(read).toEqual(event)
      expect(read!.data).toEqual(data)
      expect(read!.level).toBe('warn')
    })

    it('refuses events for a task that is not running, storing nothing', async () => {
      const task = makeTask()
      await store.createTask(task)
      await expectCode(store.appendEvents(task.id, [makeDraft(task.id)]), 'TASK_NOT_RUNNING')
      expect(await store.getEvents(task.id)).toEqual([])
      await expectCode(store.appendEvents('missing-task', [makeDraft('missing-task')]), 'TASK_NOT_FOUND')
    })

    it('appends with an expectation only to the task created at that createdAt (optional: checksAppendExpectation)', async ({ skip }) => {
      if (!store.checksAppendExpectation) return skip()
      const first = await runningTask({ createdAt: 1_000 })
      const [kept] = await store.appendEvents(first.id, [makeDraft(first.id)], { createdAt: 1_000 })
      expect(kept!.index).toBe(1)
      // The same id deleted and created again, running, with another createdAt: another task.
      await store.deleteTask(first.id)
      await runningTask({ id: first.id, createdAt: 2_000 })
      const error = await store.appendEvents(first.id, [makeDraft(first.id)], { createdAt: 1_000 }).catch((e: unknown) => e)
      expect(TaskcastError.isInstance(error) && [error.code, error.details]).toEqual(['CONFLICT', { reason: 'created-again' }])
      const stamp = { id: 'p1', epoch: 1, seq: 0 }
      const producerError = await store.appendProducerEvents(first.id, [makeDraft(first.id)], stamp, { createdAt: 1_000 }).catch((e: unknown) => e)
      expect(TaskcastError.isInstance(producerError) && [producerError.code, producerError.details]).toEqual(['CONFLICT', { reason: 'created-again' }])
      expect((await store.getEvents(first.id)).map((e) => e.index)).toEqual([0])
      const [appended] = await store.appendEvents(first.id, [makeDraft(first.id)], { createdAt: 2_000 })
      const produced = await store.appendProducerEvents(first.id, [makeDraft(first.id)], stamp, { createdAt: 2_000 })
      expect([appended!.index, produced.events[0]!.index, produced.retry]).toEqual([1, 2, false])
      await expectCode(store.appendEvents('missing-task', [makeDraft('missing-task')], { createdAt: 1_000 }), 'TASK_NOT_FOUND')
      await expectCode(store.appendProducerEvents('missing-task', [makeDraft('missing-task')], stamp, { createdAt: 1_000 }), 'TASK_NOT_FOUND')
    })

    it('reads the end of a log from a position or from an event, with where it starts, gaps and all (optional: getEventsFrom)', async ({ skip }) => {
      const getEventsFrom = store.getEventsFrom?.bind(store)
      if (!getEventsFrom) return skip()
      const task = await runningTask()
      const drafts = Array.from({ length: 8 }, (_, n) => makeDraft(task.id, { data: { n } }))
      await store.appendEvents(task.id, drafts)
      // Indexes 0 (status) .. 8; 2 and 5 deleted: positions 0..6 hold indexes 0 1 3 4 6 7 8.
      await store.deleteEvents(task.id, [drafts[1]!.id, drafts[4]!.id])
      const indexes = (tail: LogTail | undefined) => tail && [tail.position, tail.events.map((e) => e.index)]
      expect(indexes(await getEventsFrom(task.id, { position: 3 }))).toEqual([3, [4, 6, 7, 8]])
      expect(indexes(await getEventsFrom(task.id, { position: 0 }))).toEqual([0, [0, 1, 3, 4, 6, 7, 8]])
      expect(indexes(await getEventsFrom(task.id, { eventId: drafts[5]!.id }))).toEqual([4, [6, 7, 8]])
      expect(indexes(await getEventsFrom(task.id, { eventId: drafts[7]!.id }))).toEqual([6, [8]])
      const [read] = (await getEventsFrom(task.id, { position: 6 }))!.events
      expect(read).toEqual((await store.getEvents(task.id, { fromIndex: 8 }))[0])
      expect(await getEventsFrom(task.id, { position: 7 })).toBeUndefined()
      expect(await getEventsFrom(task.id, { eventId: drafts[1]!.id })).toBeUndefined()
      expect(await getEventsFrom(task.id, { eventId: 'no-such-event' })).toBeUndefined()
      expect(await getEventsFrom('no-such-task', { position: 0 })).toBeUndefined()
    })

    it('refuses events after the task completed', async () => {
      const task = await runningTask()
      await store.transitionTask(task.id, {
        from: 'running',
        patch: { status: 'completed', updatedAt: 1, completedAt: 1 },
        event: statusDraft(task.id, 'completed', 'running'),
      })
      await expectCode(store.appendEvents(task.id, [makeDraft(task.id)]), 'TASK_NOT_RUNNING')
      expect((await store.getEvents(task.id)).map((e) => e.index)).toEqual([0, 1])
    })

    it('gives 20 concurrent publishers × 500 events the indexes 1..10000 with no gap or duplicate', async () => {
      const task = await runningTask()
      const perPublisher = await Promise.all(
        Array.from({ length: 20 }, async (_, publisher) => {
          const indexes: number[] = []
          for (let i = 0; i < 500; i++) {
            const [event] = await store.appendEvents(task.id, [makeDraft(task.id, { data: { publisher, i } })])
            indexes.push(event!.index)
          }
          return indexes
        }),
      )
      for (const indexes of perPublisher) {
        expect(indexes).toEqual([...indexes].sort((a, b) => a - b))
      }
      const all = perPublisher.flat().sort((a, b) => a - b)
      expect(all).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1))
      const stored = await store.getEvents(task.id)
      expect(stored.map((e) => e.index)).toEqual(Array.from({ length: 10_001 }, (_, i) => i))
    }, 60_000)

    it('reads an inclusive index range', async () => {
      const task = await runningTask()
      await store.appendEvents(task.id, Array.from({ length: 9 }, (_, i) => makeDraft(task.id, { data: i })))
      expect((await store.getEvents(task.id, { fromIndex: 3, toIndex: 5 })).map((e) => e.index)).toEqual([3, 4, 5])
      expect((await store.getEvents(task.id, { fromIndex: 8 })).map((e) => e.index)).toEqual([8, 9])
      expect((await store.getEvents(task.id, { toIndex: 1 })).map((e) => e.index)).toEqual([0, 1])
      expect(await store.getEvents(task.id, { fromIndex: 50 })).toEqual([])
      expect(await store.getEvents('missing-task')).toEqual([])
    })

    it('keeps accumulate events as deltas and the running value beside them', async () => {
      const task = await runningTask()
      const series = { seriesId: 'answer', seriesMode: 'accumulate' as const, seriesAccField: 'text' }
      await store.appendEvents(task.id, [
        makeDraft(task.id, { ...series, data: { text: 'Once ', role: 'a' } }),
        makeDraft(task.id, { ...series, data: { text: 'upon ', role: 'b' } }),
      ])
      await store.appendEvents(task.id, [makeDraft(task.id, { ...series, data: { text: 'a time', role: 'c' } })])
      expect(await store.getSeriesValue(task.id, 'answer')).toEqual({ text: 'Once upon a time', role: 'c' })
      expect((await store.getEvents(task.id, { fromIndex: 1 })).map((e) => e.data)).toEqual([
        { text: 'Once ', role: 'a' },
        { text: 'upon ', role: 'b' },
        { text: 'a time', role: 'c' },
      ])
      expect(await store.getSeriesValue(task.id, 'other')).toBeUndefined()
    })

    it('turns the previous event of a latest series into a placeholder', async () => {
      const task = await runningTask()
      const series = { seriesId: 'progress', seriesMode: 'latest' as const }
      await store.appendEvents(task.id, [
        makeDraft(task.id, { ...series, data: { pct: 10 } }),
        makeDraft(task.id, { data: 'unrelated' }),
        makeDraft(task.id, { ...series, data: { pct: 50 } }),
      ])
      await store.appendEvents(task.id, [makeDraft(task.id, { ...series, data: { pct: 90 } })])
      const events = await store.getEvents(task.id, { fromIndex: 1 })
      expect(events.map((e) => [e.index, e.data, e.superseded ?? false])).toEqual([
        [1, null, true],
        [2, 'unrelated', false],
        [3, null, true],
        [4, { pct: 90 }, false],
      ])
    })

    it('deletes some or all events without renumbering later ones', async () => {
      const task = await runningTask()
      const events = await store.appendEvents(task.id, [1, 2, 3].map((n) => makeDraft(task.id, { data: n })))
      expect(await store.deleteEvents(task.id, [events[1]!.id])).toBe(1)
      expect((await store.getEvents(task.id)).map((e) => e.index)).toEqual([0, 1, 3])
      expect(await store.deleteEvents(task.id)).toBe(3)
      expect(await store.getEvents(task.id)).toEqual([])
      const [next] = await store.appendEvents(task.id, [makeDraft(task.id)])
      expect(next!.index).toBe(4)
    })

    it('deletes a task with its events', async () => {
      const task = await runningTask()
      await store.appendEvents(task.id, [makeDraft(task.id)])
      expect(await store.deleteTask(task.id)).toBe(true)
      expect(await store.getTask(task.id)).toBeNull()
      expect(await store.getEvents(task.id)).toEqual([])
      expect(await store.deleteTask(task.id)).toBe(false)
      expect(await store.createTask({ ...task, status: 'pending' })).toBe(true)
    })

    it.runIf(options.deadlines === true)('records TTL deadlines and lists the due ones until cleared', async () => {
      const now = Date.now()
      const soon = makeTask({ ttl: 1, createdAt: now - 5000 })
      const later = makeTask({ ttl: 3600, createdAt: now })
      const none = makeTask({ createdAt: now - 10_000 })
      for (const task of [soon, later, none]) await store.createTask(task)
      const due = await store.dueDeadlines!(now, 1000)
      expect(due).toContain(soon.id)
      expect(due).not.toContain(later.id)
      expect(due).not.toContain(none.id)
      await store.clearDeadline!(soon.id)
      expect(await store.dueDeadlines!(now, 1000)).not.toContain(soon.id)
      expect(await store.dueDeadlines!(now + 3_600_000, 1000)).toContain(later.id)
      await store.deleteTask(later.id)
      expect(await store.dueDeadlines!(now + 3_600_000, 1000)).not.toContain(later.id)
    })

    describe('archive outbox (optional: runs when the store has the outbox members)', () => {
      const ALL = Number.MAX_SAFE_INTEGER

      function outboxOf(candidate: ShortTermStore): Required<Pick<ShortTermStore, OutboxMember>> | undefined {
        const { outboxAdd, outboxTouch, outboxList, outboxClaim, outboxRemove } = candidate
        if (!outboxAdd || !outboxTouch || !outboxList || !outboxClaim || !outboxRemove) return undefined
        return candidate as Required<Pick<ShortTermStore, OutboxMember>>
      }

      async function entryOf(taskId: string) {
        return (await store.outboxList!(ALL, 100_000)).find((entry) => entry.taskId === taskId)
      }

      it('lists entries oldest first (ties by id) within a time, with limit and offset; a duplicate add changes nothing', async ({ skip }) => {
        const outbox = outboxOf(store)
        if (!outbox) return skip()
        expect(typeof store.outboxDurable).toBe('boolean')
        // Times below those of the other outbox tests, so this listing sees only its own entries.
        const [a, b, c, d, e] = [1, 2, 3, 4, 5].map(() => makeTask().id) as [string, string, string, string, string]
        await outbox.outboxAdd(a, 5)
        await outbox.outboxAdd(b, 1)
        await outbox.outboxAdd(c, 3)
        await outbox.outboxAdd(d, 2)
        await outbox.outboxAdd(e, 2)
        await outbox.outboxAdd(a, 9)
        expect(await outbox.outboxList(5, 10)).toEqual([
          { taskId: b, touchedAt: 1 },
          { taskId: d, touchedAt: 2 },
          { taskId: e, touchedAt: 2 },
          { taskId: c, touchedAt: 3 },
          { taskId: a, touchedAt: 5 },
        ])
        expect((await outbox.outboxList(2, 10)).map((entry) => entry.taskId)).toEqual([b, d, e])
        expect((await outbox.outboxList(5, 2, 1)).map((entry) => entry.taskId)).toEqual([d, e])
        expect(await outbox.outboxList(5, 0)).toEqual([])
        expect(await outbox.outboxList(0, 10)).toEqual([])
        for (const id of [a, b, c, d, e]) await outbox.outboxRemove(id)
        expect(await outbox.outboxList(5, 10)).toEqual([])
      })

      it('touches existing entries only, many in one call', async ({ skip }) => {
        const outbox = outboxOf(store)
        if (!outbox) return skip()
        const [p, q, absent] = [makeTask().id, makeTask().id, makeTask().id]
        await outbox.outboxAdd(p, 10_000)
        await outbox.outboxAdd(q, 10_001)
        await outbox.outboxTouch([p, q, absent], 20_000)
        expect(await entryOf(p)).toEqual({ taskId: p, touchedAt: 20_000 })
        expect(await entryOf(q)).toEqual({ taskId: q, touchedAt: 20_000 })
        expect(await entryOf(absent)).toBeUndefined()
        // Back to the distant past too: a stopping writer hands its entries to the next sweep this way.
        await outbox.outboxTouch([p], 0)
        expect(await entryOf(p)).toEqual({ taskId: p, touchedAt: 0 })
        await outbox.outboxTouch([], 1)
        await outbox.outboxRemove(p)
        await outbox.outboxRemove(q)
      })

      it('claims an entry by compare-and-set: of 20 concurrent claims exactly one wins', async ({ skip }) => {
        const outbox = outboxOf(store)
        if (!outbox) return skip()
        const id = makeTask().id
        await outbox.outboxAdd(id, 30_000)
        expect(await outbox.outboxClaim(id, 29_999, 40_000)).toBe(false)
        expect(await entryOf(id)).toEqual({ taskId: id, touchedAt: 30_000 })
        expect(await outbox.outboxClaim(id, 30_000, 40_000)).toBe(true)
        expect(await outbox.outboxClaim(id, 30_000, 45_000)).toBe(false)
        const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => outbox.outboxClaim(id, 40_000, 50_000 + i)))
        expect(claims.filter(Boolean)).toHaveLength(1)
        expect(await entryOf(id)).toEqual({ taskId: id, touchedAt: 50_000 + claims.indexOf(true) })
        const absent = makeTask().id
        expect(await outbox.outboxClaim(absent, 0, 1)).toBe(false)
        expect(await entryOf(absent)).toBeUndefined()
        await outbox.outboxRemove(id)
      })

      it('removes entries, and keeps them apart from the tasks they name', async ({ skip }) => {
        const outbox = outboxOf(store)
        if (!outbox) return skip()
        const task = await runningTask()
        await outbox.outboxAdd(task.id, 60_000)
        await store.appendEvents(task.id, [makeDraft(task.id)])
        await store.deleteEvents(task.id)
        expect(await store.deleteTask(task.id)).toBe(true)
        expect(await entryOf(task.id)).toEqual({ taskId: task.id, touchedAt: 60_000 })
        await outbox.outboxRemove(task.id)
        expect(await entryOf(task.id)).toBeUndefined()
        await outbox.outboxRemove(task.id)
        // An entry may come before its task (the engine adds it first); the task is unaffected.
        const next = makeTask()
        await outbox.outboxAdd(next.id, 60_001)
        expect(await store.createTask(next)).toBe(true)
        expect(await store.getTask(next.id)).toEqual(next)
        await outbox.outboxRemove(next.id)
      })
    })

    describeLifecycleOverStore(() => store)
    describeProducersOverStore(() => store)
    describeTaskIndexOverStore('short-term', () => ({
      list: (query) => {
        if (!store.listTasks) throw new Error('the store has no listTasks (SPEC §21)')
        return store.listTasks(query)
      },
      put: async (task) => {
        expect(await store.createTask(task)).toBe(true)
      },
      move: async (task, status) => {
        const from = (await store.getTask(task.id))!.status
        const moved = await store.transitionTask(task.id, {
          from,
          patch: { status, updatedAt: task.updatedAt + 1 },
          event: statusDraft(task.id, status, from),
        })
        expect(moved?.task.status).toBe(status)
      },
      remove: async (taskId) => {
        expect(await store.deleteTask(taskId)).toBe(true)
      },
    }), { oldestFirst: true })

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined()
    })
  })
}
