import { describe, expect, it } from 'vitest'
import { TaskEngine } from '../src/engine/task-engine.js'
import { MemoryBroadcastProvider } from '../src/memory/memory-broadcast-provider.js'
import { MemoryShortTermStore } from '../src/memory/memory-short-term-store.js'
import type { BroadcastProvider } from '../src/storage/broadcast-provider.js'
import type { TaskEvent } from '../src/types.js'
import { collect, memoryEngine, runningTask } from './helpers.js'

describe('subscribe', () => {
  it('gives history, then live events, then done, each exactly once', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvent(task.id, { type: 'a', data: 1 })
    const sub = collect(engine, task.id)
    await engine.publishEvent(task.id, { type: 'b', data: 2 })
    await engine.transitionTask(task.id, 'completed', { result: { ok: true } })
    expect(await sub.ended).toEqual({ done: 'completed' })
    expect(sub.envelopes.map((e) => [e.rawIndex, e.filteredIndex, e.type])).toEqual([
      [0, 0, 'taskcast:status'],
      [1, 1, 'a'],
      [2, 2, 'b'],
      [3, 3, 'taskcast:status'],
    ])
    expect(sub.envelopes[3]).toEqual({
      filteredIndex: 3,
      rawIndex: 3,
      eventId: expect.any(String),
      taskId: task.id,
      type: 'taskcast:status',
      timestamp: expect.any(Number),
      level: 'info',
      data: { status: 'completed', previousStatus: 'running', result: { ok: true } },
    })
  })

  it('holds a pending task and streams it from the start once it runs', async () => {
    const { engine } = memoryEngine()
    const task = await engine.createTask()
    const sub = collect(engine, task.id)
    await engine.transitionTask(task.id, 'running')
    await engine.publishEvent(task.id, { type: 'a' })
    await engine.transitionTask(task.id, 'cancelled')
    expect(await sub.ended).toEqual({ done: 'cancelled' })
    expect(sub.envelopes.map((e) => e.type)).toEqual(['taskcast:status', 'a', 'taskcast:status'])
  })

  it('replays a finished task and ends with done', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvent(task.id, { type: 'a' })
    await engine.transitionTask(task.id, 'failed', { error: { message: 'x' } })
    const sub = collect(engine, task.id, { includeStatus: false })
    expect(await sub.ended).toEqual({ done: 'failed' })
    expect(sub.envelopes.map((e) => e.type)).toEqual(['a'])
  })

  it('reports TASK_NOT_FOUND for a missing task', async () => {
    const { engine, broadcast } = memoryEngine()
    const sub = collect(engine, 'missing')
    const { error } = await sub.ended
    expect((error as { code: string }).code).toBe('TASK_NOT_FOUND')
    expect(broadcast.listenerCount('missing')).toBe(0)
  })

  it('releases its broadcast listener on unsubscribe and on done', async () => {
    const { engine, broadcast } = memoryEngine()
    const task = await runningTask(engine)
    const a = collect(engine, task.id)
    const b = collect(engine, task.id)
    expect(broadcast.listenerCount(task.id)).toBe(2)
    a.unsubscribe()
    expect(broadcast.listenerCount(task.id)).toBe(1)
    await engine.publishEvent(task.id, { type: 'x' })
    await engine.transitionTask(task.id, 'completed')
    await b.ended
    expect(broadcast.listenerCount(task.id)).toBe(0)
    expect(engine.subscriptionCount).toBe(0)
    expect(a.envelopes.length).toBeLessThan(b.envelopes.length)
  })

  it('stops replay at limit and ends without done', async () => {
    const { engine, broadcast } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvents(task.id, [{ type: 'a' }, { type: 'b' }, { type: 'c' }])
    const sub = collect(engine, task.id, { since: { index: 0 } }, { limit: 2 })
    expect(await sub.ended).toEqual({ limit: true })
    expect(sub.envelopes.map((e) => e.type)).toEqual(['a', 'b'])
    expect(broadcast.listenerCount(task.id)).toBe(0)
  })

  it('rejects an unknown since.id', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    const { error } = await collect(engine, task.id, { since: { id: 'nope' } }).ended
    expect((error as { code: string }).code).toBe('VALIDATION_ERROR')
  })

  it('fills a gap from the store when broadcast messages are lost', async () => {
    // A broadcast that drops a third of the user events, like a pub/sub link that blinks.
    class LossyBroadcast implements BroadcastProvider {
      inner = new MemoryBroadcastProvider()
      async publish(taskId: string, event: TaskEvent) {
        if (event.type === 'tick' && event.index % 3 === 0) return
        await this.inner.publish(taskId, event)
      }
      subscribe(taskId: string, handler: (e: TaskEvent) => void) {
        return this.inner.subscribe(taskId, handler)
      }
      async close() {}
    }
    const engine = new TaskEngine({ broadcast: new LossyBroadcast(), shortTermStore: new MemoryShortTermStore() })
    const task = await runningTask(engine)
    const sub = collect(engine, task.id)
    for (let i = 0; i < 30; i++) await engine.publishEvent(task.id, { type: 'tick', data: i })
    await engine.transitionTask(task.id, 'completed')
    expect(await sub.ended).toEqual({ done: 'completed' })
    expect(sub.envelopes.map((e) => e.rawIndex)).toEqual(Array.from({ length: 32 }, (_, i) => i))
    expect(sub.envelopes.map((e) => e.data).slice(1, 31)).toEqual(Array.from({ length: 30 }, (_, i) => i))
  })

  it('reads what it missed when the broadcast re-establishes a lost link, even when the task ended meanwhile', async () => {
    // A link that goes down, loses everything, then comes back and says so.
    class BlinkingBroadcast implements BroadcastProvider {
      inner = new MemoryBroadcastProvider()
      down = false
      resyncs: (() => void)[] = []
      async publish(taskId: string, event: TaskEvent) {
        if (!this.down) await this.inner.publish(taskId, event)
      }
      subscribe(taskId: string, handler: (e: TaskEvent) => void, onResync?: () => void) {
        if (onResync) this.resyncs.push(onResync)
        return this.inner.subscribe(taskId, handler)
      }
      reconnect() {
        this.down = false
        for (const resync of this.resyncs) resync()
      }
      async close() {}
    }
    const broadcast = new BlinkingBroadcast()
    const engine = new TaskEngine({ broadcast, shortTermStore: new MemoryShortTermStore() })
    const task = await runningTask(engine)
    const sub = collect(engine, task.id)
    await sub.live
    await engine.publishEvent(task.id, { type: 'before' })
    broadcast.down = true
    await engine.publishEvents(task.id, [{ type: 'lost-1' }, { type: 'lost-2' }])
    await engine.transitionTask(task.id, 'completed')
    expect(sub.envelopes.map((e) => e.type)).toEqual(['taskcast:status', 'before'])
    broadcast.reconnect()
    expect(await sub.ended).toEqual({ done: 'completed' })
    expect(sub.envelopes.map((e) => [e.rawIndex, e.type])).toEqual([
      [0, 'taskcast:status'],
      [1, 'before'],
      [2, 'lost-1'],
      [3, 'lost-2'],
      [4, 'taskcast:status'],
    ])
  })

  it('delivers events in index order when broadcasts arrive out of order', async () => {
    const { engine, broadcast, store } = memoryEngine()
    const task = await runningTask(engine)
    const sub = collect(engine, task.id)
    await sub.live
    // Simulate two processes: the store assigns 1 and 2, the broadcast of 2 overtakes 1.
    const [one, two] = await store.appendEvents(task.id, [
      { id: '01A', taskId: task.id, timestamp: 1, type: 'x', level: 'info', data: 1 },
      { id: '01B', taskId: task.id, timestamp: 2, type: 'x', level: 'info', data: 2 },
    ])
    await broadcast.publish(task.id, two!)
    await broadcast.publish(task.id, one!)
    await engine.transitionTask(task.id, 'completed')
    await sub.ended
    expect(sub.envelopes.map((e) => e.rawIndex)).toEqual([0, 1, 2, 3])
  })
})
