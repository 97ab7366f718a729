// A subscription follows one incarnation of a task id. When the task is deleted (here or by
// another engine on the same stores), or vanishes from the store, its subscribers end with
// onGone, and a new task created under the same id never reaches them.
import { describe, expect, it } from 'vitest'
import { TaskEngine } from '../src/engine/task-engine.js'
import { MemoryBroadcastProvider } from '../src/memory/memory-broadcast-provider.js'
import { MemoryShortTermStore } from '../src/memory/memory-short-term-store.js'
import type { BroadcastHandler, BroadcastProvider } from '../src/storage/broadcast-provider.js'
import { ManualClock } from '../src/testing/manual-clock.js'
import { TASK_DELETED_TYPE, type TaskEvent } from '../src/types.js'
import { collect, runningTask } from './helpers.js'

/** Memory broadcast whose link can be cut (messages dropped) and restored (subscribers resync). */
class CuttableBroadcast implements BroadcastProvider {
  private readonly inner = new MemoryBroadcastProvider()
  private readonly resyncs = new Set<() => void>()
  cut = false

  async publish(taskId: string, event: TaskEvent): Promise<void> {
    if (!this.cut) await this.inner.publish(taskId, event)
  }

  subscribe(taskId: string, handler: BroadcastHandler, onResync?: () => void): () => void {
    const release = this.inner.subscribe(taskId, handler)
    if (onResync) this.resyncs.add(onResync)
    return () => {
      release()
      if (onResync) this.resyncs.delete(onResync)
    }
  }

  restore(): void {
    this.cut = false
    for (const resync of [...this.resyncs]) resync()
  }

  async close(): Promise<void> {}
}

/** A broadcast that loses deletion notices (pub/sub is at-most-once), to test what else ends a subscriber. */
class NoTombstones extends MemoryBroadcastProvider {
  override async publish(taskId: string, event: TaskEvent): Promise<void> {
    if (event.type !== TASK_DELETED_TYPE) await super.publish(taskId, event)
  }
}

/** Two engines on one store and one broadcast: two processes of one service. */
function twoProcesses(broadcast: BroadcastProvider = new MemoryBroadcastProvider()) {
  const clock = new ManualClock()
  const store = new MemoryShortTermStore({ clock })
  const a = new TaskEngine({ broadcast, shortTermStore: store, clock, subscriptionCheckMs: 1000 })
  const b = new TaskEngine({ broadcast, shortTermStore: store, clock, subscriptionCheckMs: 1000 })
  return { a, b, store, clock }
}

describe('a subscription follows one incarnation of a task', () => {
  it('ends with onGone("deleted") when the task is deleted through its engine, without a done', async () => {
    const { a } = twoProcesses()
    await runningTask(a, { id: 't' })
    const sub = collect(a, 't')
    await sub.live
    expect(await a.deleteTask('t')).toBe(true)
    expect(await sub.ended).toEqual({ gone: 'deleted' })
    expect(a.subscriptionCount).toBe(0)
  })

  it('ends the subscribers on another process at once: the deletion is broadcast', async () => {
    const { a, b } = twoProcesses()
    await runningTask(b, { id: 't' })
    const onB = collect(b, 't')
    await onB.live
    await a.deleteTask('t')
    expect(await onB.ended).toEqual({ gone: 'deleted' })
    expect(b.subscriptionCount).toBe(0)
  })

  it('never delivers a task re-created under the same id by another process: the live event at the last position gives it away', async () => {
    const { a, b, clock } = twoProcesses(new NoTombstones())
    await runningTask(b, { id: 't' })
    await b.publishEvents('t', [{ type: 'old', data: 1 }, { type: 'old', data: 2 }])
    const subs = Array.from({ length: 10 }, () => collect(b, 't'))
    await Promise.all(subs.map((sub) => sub.live))

    await a.deleteTask('t')
    await clock.advance(5)
    await runningTask(a, { id: 't' })
    await a.publishEvents('t', [{ type: 'new', data: 1 }, { type: 'new', data: 2 }, { type: 'new', data: 3 }])
    for (const sub of subs) {
      expect(await sub.ended).toEqual({ gone: 'deleted' })
      expect(sub.envelopes.map((e) => [e.rawIndex, e.type])).toEqual([
        [0, 'taskcast:status'],
        [1, 'old'],
        [2, 'old'],
      ])
    }
  })

  it('never delivers the new task through a catch-up after a broadcast outage either', async () => {
    const broadcast = new CuttableBroadcast()
    const { a, b, clock } = twoProcesses(broadcast)
    await runningTask(b, { id: 't' })
    const sub = collect(b, 't')
    await sub.live
    broadcast.cut = true
    await a.deleteTask('t')
    await clock.advance(5)
    await runningTask(a, { id: 't' })
    await a.publishEvents('t', [{ type: 'new', data: 1 }, { type: 'new', data: 2 }])
    broadcast.restore()
    expect(await sub.ended).toEqual({ gone: 'deleted' })
    expect(sub.envelopes.map((e) => e.type)).toEqual(['taskcast:status'])
  })

  it('checks the task itself before the first event of a pending task it had nothing of', async () => {
    const { a, b, clock } = twoProcesses(new NoTombstones())
    await b.createTask({ id: 't' })
    const sub = collect(b, 't')
    await sub.live
    await a.deleteTask('t')
    await clock.advance(5)
    await runningTask(a, { id: 't' })
    expect(await sub.ended).toEqual({ gone: 'deleted' })
    expect(sub.envelopes).toEqual([])
  })

  it('still streams a pending task that starts (the check passes), then ends it with done', async () => {
    const { b } = twoProcesses()
    await b.createTask({ id: 't' })
    const sub = collect(b, 't')
    await sub.live
    await b.transitionTask('t', 'running')
    await b.publishEvent('t', { type: 'a', data: 1 })
    await b.transitionTask('t', 'completed')
    expect(await sub.ended).toEqual({ done: 'completed' })
    expect(sub.envelopes.map((e) => e.rawIndex)).toEqual([0, 1, 2])
  })

  it('ends with onGone("missing") a check and a second look after the store lost the task, and with "deleted" when another process deleted it quietly', async () => {
    const { a, b, store, clock } = twoProcesses(new NoTombstones())
    await runningTask(b, { id: 'lost' })
    await runningTask(b, { id: 'quiet' })
    const lost = collect(b, 'lost')
    await lost.live
    // Gone from the store with nobody telling the engine (a store restarted empty, an expiry).
    await store.deleteTask('lost')
    await clock.advance(1000)
    // Found gone: it gets a moment (a deletion's broadcast may be on its way), then one more look.
    let ended: unknown
    void lost.ended.then((value) => (ended = value))
    await clock.advance(999)
    expect(ended).toBeUndefined()
    await clock.advance(1)
    expect(await lost.ended).toEqual({ gone: 'missing' })

    const quiet = collect(b, 'quiet')
    await quiet.live
    await a.deleteTask('quiet')
    await clock.advance(5)
    await a.createTask({ id: 'quiet' })
    await clock.advance(1000)
    expect(await quiet.ended).toEqual({ gone: 'deleted' })
    expect(quiet.envelopes.map((e) => e.type)).toEqual(['taskcast:status'])
  })
})
