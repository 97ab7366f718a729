// What a store keeps in its file: a second store opened on the file after the first one closed
// (as a restarted process would) finds every task, event, series value, deadline, producer,
// outbox entry and delivery cursor, and carries on from there.
import { makeDraft, makeTask, statusDraft } from '@taskcast/core/testing'
import { describe, expect, it } from 'vitest'
import { SqliteShortTermStore } from '../src/index.js'
import { tempDatabasePath } from './temp-database.js'

describe('SqliteShortTermStore reopened on the same file', () => {
  it('has everything the first store acknowledged, and goes on numbering where it left off', async () => {
    const path = tempDatabasePath()
    const first = new SqliteShortTermStore({ path })
    const task = makeTask({ ttl: 60, type: 'llm.chat', params: { prompt: 'hi' } })
    await first.createTask(task)
    await first.transitionTask(task.id, { from: 'pending', patch: { status: 'running', updatedAt: 1 }, event: statusDraft(task.id, 'running', 'pending') })
    const acc = { seriesId: 'answer', seriesMode: 'accumulate' as const, seriesAccField: 'text' }
    await first.appendEvents(task.id, [makeDraft(task.id, { ...acc, data: { text: 'Once ' } }), makeDraft(task.id, { ...acc, data: { text: 'upon' } })])
    const latest = { seriesId: 'progress', seriesMode: 'latest' as const }
    await first.appendEvents(task.id, [makeDraft(task.id, { ...latest, data: { pct: 10 } }), makeDraft(task.id, { ...latest, data: { pct: 20 } })])
    const produced = await first.appendProducerEvents(task.id, [makeDraft(task.id, { data: 'p0' })], { id: 'p', epoch: 3, seq: 0 })
    await first.outboxAdd(task.id, 1234)
    const leases = first.deliveries
    expect(await leases.acquire(task.id, 'hook', 'owner-a', 60_000)).toMatchObject({ status: 'acquired', cursor: -1 })
    expect(await leases.release(task.id, 'hook', 'owner-a', 60_000, { cursor: 3, filteredCount: 2 }, { force: true })).toBe('released')
    await leases.track([{ taskId: task.id, key: 'hook' }], 500)
    const log = await first.getEvents(task.id)
    await first.close()
    await expect(first.getTask(task.id)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })

    const second = new SqliteShortTermStore({ path })
    expect(await second.getTask(task.id)).toEqual({ ...task, status: 'running', updatedAt: 1 })
    expect(await second.getEvents(task.id)).toEqual(log)
    expect(log.map((event) => [event.index, event.superseded ?? false])).toEqual([
      [0, false],
      [1, false],
      [2, false],
      [3, true],
      [4, false],
      [5, false],
    ])
    expect(await second.getSeriesValue(task.id, 'answer')).toEqual({ text: 'Once upon' })
    expect(await second.dueDeadlines(task.createdAt + 60_000, 10)).toEqual([task.id])
    expect(await second.outboxList(Number.MAX_SAFE_INTEGER, 10)).toEqual([{ taskId: task.id, touchedAt: 1234 }])
    // The producer's state: the retry is recognised, the next seq continues, the old epoch is fenced off.
    const retry = await second.appendProducerEvents(task.id, [makeDraft(task.id, { data: 'p0 again' })], { id: 'p', epoch: 3, seq: 0 })
    expect(retry).toEqual({ events: produced.events, retry: true })
    await expect(second.appendProducerEvents(task.id, [makeDraft(task.id)], { id: 'p', epoch: 2, seq: 1 })).rejects.toMatchObject({ code: 'STALE_PRODUCER' })
    const [next] = await second.appendEvents(task.id, [makeDraft(task.id, { ...latest, data: { pct: 30 } })])
    expect(next!.index).toBe(6)
    expect((await second.getEvents(task.id, { fromIndex: 4, toIndex: 4 }))[0]).toMatchObject({ superseded: true, data: null })
    // The delivery resumes after the cursor the first process stored, and its index entry is still due.
    expect(await second.deliveries.claimDue(500, 10_000, 10)).toEqual([{ taskId: task.id, key: 'hook' }])
    expect(await second.deliveries.acquire(task.id, 'hook', 'owner-b', 60_000)).toMatchObject({ status: 'acquired', cursor: 3, filteredCount: 2 })
    await second.close()
  })

  it('treats a task past its expire() deadline as gone, and lets the id be used again', async () => {
    const store = new SqliteShortTermStore({ path: tempDatabasePath() })
    const task = makeTask({ status: 'running' })
    await store.createTask(task)
    await store.appendEvents(task.id, [makeDraft(task.id)])
    await store.expire(task.id, 0)
    expect(await store.getTask(task.id)).toBeNull()
    expect(await store.getEvents(task.id)).toEqual([])
    await expect(store.appendEvents(task.id, [makeDraft(task.id)])).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' })
    expect(await store.deleteTask(task.id)).toBe(false)
    expect(await store.createTask(task)).toBe(true)
    const [first] = await store.appendEvents(task.id, [makeDraft(task.id)])
    expect(first!.index).toBe(0)
    // A retention period in the future keeps the task until then.
    await store.expire(task.id, 3600)
    expect(await store.getTask(task.id)).toEqual(task)
    await store.close()
  })

  it('keeps series ids apart that only differ in characters UTF-8 cannot hold (lone surrogates, NUL)', async () => {
    const store = new SqliteShortTermStore({ path: tempDatabasePath() })
    const task = makeTask({ status: 'running' })
    await store.createTask(task)
    const ids = ['\ud800x', '\ud801x', 'x\u0000', 'x']
    await store.appendEvents(
      task.id,
      ids.map((seriesId) => makeDraft(task.id, { seriesId, seriesMode: 'accumulate', seriesAccField: 'text', data: { text: seriesId } })),
    )
    for (const seriesId of ids) expect(await store.getSeriesValue(task.id, seriesId)).toEqual({ text: seriesId })
    expect((await store.getEvents(task.id)).map((event) => event.seriesId)).toEqual(ids)
    await store.close()
  })
})
