// Part of the short-term store contract: idempotent producers (SPEC §19). One test per row of
// the table (stale epoch, new epoch, next seq, retry, gap), then what the rows imply: a retry
// answers the events as first stored and appends nothing, also once the task stopped running;
// concurrent identical requests append once; producers of one task and of two tasks are apart;
// the state goes with the task.
import { describe, expect, it } from 'vitest'
import { TaskcastError } from '../errors.js'
import { PRODUCER_RETRY_WINDOW, type ProducerStamp } from '../producer-sequence.js'
import type { ShortTermStore } from '../storage/short-term-store.js'
import type { TaskEvent } from '../types.js'
import { makeDraft, makeTask, statusDraft } from './fixtures.js'

async function errorOf(promise: Promise<unknown>): Promise<TaskcastError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!TaskcastError.isInstance(error)) throw new Error(`expected a TaskcastError, got ${String(error)}`)
  return error
}

/** `id`, `index` and `data` of each event: what "as first stored" compares. */
function stored(events: readonly TaskEvent[]) {
  return events.map(({ id, index, data }) => ({ id, index, data }))
}

export function describeProducersOverStore(getStore: () => ShortTermStore): void {
  describe('idempotent producers (SPEC §19)', () => {
    async function runningTask(): Promise<string> {
      const store = getStore()
      const task = makeTask()
      await store.createTask(task)
      await store.transitionTask(task.id, {
        from: 'pending',
        patch: { status: 'running', updatedAt: Date.now() },
        event: statusDraft(task.id, 'running', 'pending'),
      })
      return task.id
    }

    const drafts = (taskId: string, ...data: unknown[]) => data.map((value) => makeDraft(taskId, { data: value }))
    const publish = (taskId: string, stamp: ProducerStamp, ...data: unknown[]) =>
      getStore().appendProducerEvents(taskId, drafts(taskId, ...data), stamp)

    it('appends a request whose seq is the next expected (201), numbering a batch seq … seq+n−1', async () => {
      const taskId = await runningTask()
      const first = await publish(taskId, { id: 'p', epoch: 0, seq: 0 }, 'a', 'b')
      const second = await publish(taskId, { id: 'p', epoch: 0, seq: 2 }, 'c')
      expect([first.retry, second.retry]).toEqual([false, false])
      expect([...first.events, ...second.events].map((event) => [event.index, event.data])).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ])
    })

    it('answers a retry with the events as first stored (same ids and indexes) and appends nothing', async () => {
      const taskId = await runningTask()
      const stamp = { id: 'p', epoch: 0, seq: 0 }
      const first = await publish(taskId, stamp, 'a', 'b')
      const retry = await getStore().appendProducerEvents(taskId, drafts(taskId, 'other', 'ids'), stamp)
      expect(retry.retry).toBe(true)
      expect(stored(retry.events)).toEqual(stored(first.events))
      expect((await getStore().getEvents(taskId)).map((event) => event.index)).toEqual([0, 1, 2])
    })

    it('refuses an epoch below the stored one with STALE_PRODUCER and details.currentEpoch', async () => {
      const taskId = await runningTask()
      await publish(taskId, { id: 'p', epoch: 3, seq: 0 }, 'a')
      const error = await errorOf(publish(taskId, { id: 'p', epoch: 2, seq: 1 }, 'zombie'))
      expect([error.code, error.details?.currentEpoch]).toEqual(['STALE_PRODUCER', 3])
      expect((await getStore().getEvents(taskId)).length).toBe(2)
    })

    it('lets a higher epoch take over from seq 0, and fences the older one off from then on', async () => {
      const taskId = await runningTask()
      await publish(taskId, { id: 'p', epoch: 0, seq: 0 }, 'old-0', 'old-1')
      const gap = await errorOf(publish(taskId, { id: 'p', epoch: 1, seq: 5 }, 'x'))
      expect([gap.code, gap.details?.expectedSeq]).toEqual(['SEQUENCE_GAP', 0])
      const takeover = await publish(taskId, { id: 'p', epoch: 1, seq: 0 }, 'new-0')
      expect(takeover.retry).toBe(false)
      const zombie = await errorOf(publish(taskId, { id: 'p', epoch: 0, seq: 2 }, 'old-2'))
      expect([zombie.code, zombie.details?.currentEpoch]).toEqual(['STALE_PRODUCER', 1])
      // A retry of the old epoch is fenced off too: its answer could only be stale.
      expect((await errorOf(publish(taskId, { id: 'p', epoch: 0, seq: 0 }, 'old-0'))).code).toBe('STALE_PRODUCER')
      expect((await getStore().getEvents(taskId)).map((event) => event.data)).toEqual([
        { status: 'running', previousStatus: 'pending' },
        'old-0',
        'old-1',
        'new-0',
      ])
    })

    it('refuses a seq beyond the next expected with SEQUENCE_GAP and details.expectedSeq', async () => {
      const taskId = await runningTask()
      const fresh = await errorOf(publish(taskId, { id: 'p', epoch: 0, seq: 1 }, 'x'))
      expect([fresh.code, fresh.details?.expectedSeq]).toEqual(['SEQUENCE_GAP', 0])
      await publish(taskId, { id: 'p', epoch: 0, seq: 0 }, 'a', 'b')
      const ahead = await errorOf(publish(taskId, { id: 'p', epoch: 0, seq: 3 }, 'x'))
      expect([ahead.code, ahead.details?.expectedSeq]).toEqual(['SEQUENCE_GAP', 2])
      // Seqs already taken, but not as one earlier request: nothing to answer with, nothing to append.
      const overlap = await errorOf(publish(taskId, { id: 'p', epoch: 0, seq: 1 }, 'b', 'c'))
      expect([overlap.code, overlap.details?.expectedSeq]).toEqual(['SEQUENCE_GAP', 2])
      expect((await getStore().getEvents(taskId)).length).toBe(3)
    })

    it(`recognises retries of at least the last ${PRODUCER_RETRY_WINDOW} seqs`, async () => {
      const taskId = await runningTask()
      const stamps: ProducerStamp[] = []
      const firsts: TaskEvent[][] = []
      // Batches of 7 up past the window: the oldest ones may be forgotten, the last 1,000 seqs not.
      for (let seq = 0; seq < PRODUCER_RETRY_WINDOW + 300; seq += 7) {
        const stamp = { id: 'p', epoch: 0, seq }
        stamps.push(stamp)
        firsts.push((await publish(taskId, stamp, ...Array.from({ length: 7 }, (_, i) => seq + i))).events)
      }
      const next = stamps.at(-1)!.seq + 7
      for (const [i, stamp] of stamps.entries()) {
        if (stamp.seq < next - PRODUCER_RETRY_WINDOW) continue
        const retry = await publish(taskId, stamp, ...Array.from({ length: 7 }, () => 'again'))
        expect(retry.retry).toBe(true)
        expect(stored(retry.events)).toEqual(stored(firsts[i]!))
      }
      expect((await getStore().getEvents(taskId)).length).toBe(1 + next)
    })

    it('answers a retry after the task stopped running, and refuses anything new then', async () => {
      const taskId = await runningTask()
      const stamp = { id: 'p', epoch: 0, seq: 0 }
      const first = await publish(taskId, stamp, 'last words')
      await getStore().transitionTask(taskId, {
        from: 'running',
        patch: { status: 'completed', updatedAt: Date.now(), completedAt: Date.now() },
        event: statusDraft(taskId, 'completed', 'running'),
      })
      const retry = await publish(taskId, stamp, 'last words')
      expect([retry.retry, stored(retry.events)]).toEqual([true, stored(first.events)])
      expect((await errorOf(publish(taskId, { id: 'p', epoch: 0, seq: 1 }, 'more'))).code).toBe('TASK_NOT_RUNNING')
    })

    it('appends 10 concurrent identical requests once; the other nine are retries of it', async () => {
      const taskId = await runningTask()
      const stamp = { id: 'p', epoch: 0, seq: 0 }
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => publish(taskId, stamp, 'once', 'only')))
      expect(outcomes.filter((outcome) => !outcome.retry).length).toBe(1)
      for (const outcome of outcomes) expect(stored(outcome.events)).toEqual(stored(outcomes[0]!.events))
      expect((await getStore().getEvents(taskId)).map((event) => event.data)).toEqual([
        { status: 'running', previousStatus: 'pending' },
        'once',
        'only',
      ])
    })

    it('keeps producers apart: per producer id within a task, and per task', async () => {
      const taskId = await runningTask()
      const otherTask = await runningTask()
      await publish(taskId, { id: 'p', epoch: 2, seq: 0 }, 'p0')
      const q = await publish(taskId, { id: 'q', epoch: 0, seq: 0 }, 'q0')
      const elsewhere = await publish(otherTask, { id: 'p', epoch: 0, seq: 0 }, 'p0 elsewhere')
      expect([q.retry, elsewhere.retry]).toEqual([false, false])
      expect(elsewhere.events[0]!.index).toBe(1)
    })

    it('forgets a producer with its task: a task created again under the id starts afresh', async () => {
      const store = getStore()
      const taskId = await runningTask()
      await publish(taskId, { id: 'p', epoch: 4, seq: 0 }, 'a', 'b')
      await store.deleteTask(taskId)
      expect((await errorOf(publish(taskId, { id: 'p', epoch: 4, seq: 2 }, 'c'))).code).toBe('TASK_NOT_FOUND')
      await store.createTask(makeTask({ id: taskId, status: 'running' }))
      const fresh = await publish(taskId, { id: 'p', epoch: 0, seq: 0 }, 'new life')
      expect([fresh.retry, fresh.events[0]!.index]).toEqual([false, 0])
    })

    it('stores nothing, and keeps the producer where it was, when the task does not run', async () => {
      const store = getStore()
      const task = makeTask()
      await store.createTask(task)
      expect((await errorOf(publish(task.id, { id: 'p', epoch: 0, seq: 0 }, 'early'))).code).toBe('TASK_NOT_RUNNING')
      await store.transitionTask(task.id, {
        from: 'pending',
        patch: { status: 'running', updatedAt: Date.now() },
        event: statusDraft(task.id, 'running', 'pending'),
      })
      const first = await publish(task.id, { id: 'p', epoch: 0, seq: 0 }, 'first')
      expect([first.retry, first.events[0]!.index]).toEqual([false, 1])
    })
  })
}
