import { describe, expect, it } from 'vitest'
import { TaskEngine } from '../src/engine/task-engine.js'
import { MemoryBroadcastProvider } from '../src/memory/memory-broadcast-provider.js'
import { MemoryLongTermStore } from '../src/memory/memory-long-term-store.js'
import { MemoryShortTermStore } from '../src/memory/memory-short-term-store.js'
import { ManualClock } from '../src/testing/manual-clock.js'
import type { Task } from '../src/types.js'
import { STATUS_EVENT_TYPE } from '../src/types.js'
import { memoryEngine, runningTask } from './helpers.js'

describe('TTL', () => {
  it('times a running task out at its deadline with TTL_EXPIRED, exactly once', async () => {
    const timeouts: Task[] = []
    const { engine, clock } = memoryEngine({ hooks: { onTaskTimeout: (task) => void timeouts.push(task) } })
    const task = await runningTask(engine, { ttl: 30 })
    await clock.advance(29_999)
    expect((await engine.getTask(task.id))!.status).toBe('running')
    await clock.advance(1)
    const expired = await engine.getTask(task.id)
    expect(expired).toMatchObject({ status: 'timeout', error: { code: 'TTL_EXPIRED' }, completedAt: task.createdAt + 30_000 })
    await clock.advance(60_000)
    const statusEvents = (await engine.getEvents(task.id)).filter((e) => e.type === STATUS_EVENT_TYPE)
    expect(statusEvents.map((e) => (e.data as { status: string }).status)).toEqual(['running', 'timeout'])
    expect(timeouts.map((t) => t.id)).toEqual([task.id])
  })

  it('times out a task that never started', async () => {
    const { engine, clock } = memoryEngine()
    const task = await engine.createTask({ ttl: 1 })
    await clock.advance(1000)
    expect(await engine.getTask(task.id)).toMatchObject({ status: 'timeout', error: { code: 'TTL_EXPIRED' } })
    expect((await engine.getEvents(task.id)).map((e) => e.data)).toMatchObject([{ status: 'timeout', previousStatus: 'pending' }])
  })

  it('does nothing to a task that finished before its deadline', async () => {
    const { engine, clock } = memoryEngine()
    const task = await runningTask(engine, { ttl: 5 })
    await engine.transitionTask(task.id, 'completed')
    await clock.advance(10_000)
    expect((await engine.getTask(task.id))!.status).toBe('completed')
  })

  it('handles deadlines beyond the range of setTimeout', async () => {
    const { engine, clock } = memoryEngine({ deadlinePollMs: 7 * 24 * 3600 * 1000 })
    const task = await engine.createTask({ ttl: 40 * 24 * 3600 })
    await clock.advance(39 * 24 * 3600 * 1000)
    expect((await engine.getTask(task.id))!.status).toBe('pending')
    await clock.advance(24 * 3600 * 1000)
    expect((await engine.getTask(task.id))!.status).toBe('timeout')
  })
})

describe('TTL across engines sharing a store', () => {
  function sharedStore() {
    const clock = new ManualClock()
    const broadcast = new MemoryBroadcastProvider()
    const store = new MemoryShortTermStore({ clock })
    const engine = () => new TaskEngine({ broadcast, shortTermStore: store, clock })
    return { clock, store, engine }
  }

  it('fires exactly once when two engines know the deadline', async () => {
    const { clock, engine } = sharedStore()
    const a = engine()
    const b = engine()
    const task = await a.createTask({ ttl: 2 })
    await a.transitionTask(task.id, 'running')
    await clock.advance(5000)
    const statuses = (await b.getEvents(task.id)).map((e) => (e.data as { status: string }).status)
    expect(statuses).toEqual(['running', 'timeout'])
  })

  it('still fires after the engine that created the task stopped (a restart)', async () => {
    const { clock, engine } = sharedStore()
    const before = engine()
    const task = await before.createTask({ ttl: 2 })
    await before.stop()
    const after = engine()
    await clock.advance(1999)
    expect((await after.getTask(task.id))!.status).toBe('pending')
    await clock.advance(1001)
    expect(await after.getTask(task.id)).toMatchObject({ status: 'timeout', error: { code: 'TTL_EXPIRED' } })
    expect(await after.getEvents(task.id)).toHaveLength(1)
  })
})

describe('cleanup rules', () => {
  it('deletes matching events after afterMs, per the global rules', async () => {
    const { engine, clock } = memoryEngine({
      cleanup: { rules: [{ match: { taskTypes: ['llm.*'] }, trigger: { afterMs: 1000 }, target: 'events' }] },
    })
    const llm = await runningTask(engine, { type: 'llm.chat' })
    const other = await runningTask(engine, { type: 'batch' })
    for (const task of [llm, other]) {
      await engine.publishEvent(task.id, { type: 'x' })
      await engine.transitionTask(task.id, 'completed')
    }
    await clock.advance(999)
    expect(await engine.getEvents(llm.id)).toHaveLength(3)
    await clock.advance(1)
    expect(await engine.getEvents(llm.id)).toEqual([])
    expect((await engine.getTask(llm.id))!.status).toBe('completed')
    expect(await engine.getEvents(other.id)).toHaveLength(3)
  })

  it('applies eventFilter and status matching', async () => {
    const { engine, clock } = memoryEngine({
      cleanup: {
        rules: [
          { match: { status: ['failed'] }, trigger: { afterMs: 0 }, target: 'events', eventFilter: { types: ['debug.*'] } },
        ],
      },
    })
    const failed = await runningTask(engine)
    await engine.publishEvents(failed.id, [{ type: 'debug.trace' }, { type: 'llm.delta' }])
    await engine.transitionTask(failed.id, 'failed')
    const completed = await runningTask(engine)
    await engine.publishEvents(completed.id, [{ type: 'debug.trace' }])
    await engine.transitionTask(completed.id, 'completed')
    await clock.advance(0)
    expect((await engine.getEvents(failed.id)).map((e) => e.type)).toEqual([STATUS_EVENT_TYPE, 'llm.delta', STATUS_EVENT_TYPE])
    expect((await engine.getEvents(completed.id)).map((e) => e.type)).toContain('debug.trace')
  })

  it('lets a task’s own rules replace the global ones', async () => {
    const { engine, clock } = memoryEngine({ cleanup: { rules: [{ trigger: { afterMs: 10 }, target: 'all' }] } })
    const own = await runningTask(engine, { cleanup: { rules: [{ trigger: { afterMs: 5000 }, target: 'task' }] } })
    const global = await runningTask(engine)
    await engine.transitionTask(own.id, 'completed')
    await engine.transitionTask(global.id, 'completed')
    await clock.advance(10)
    expect(await engine.getTask(global.id)).toBeNull()
    expect(await engine.getTask(own.id)).not.toBeNull()
    await clock.advance(5000)
    expect(await engine.getTask(own.id)).toBeNull()
  })

  it('keeps the archive for target task and removes it for target all', async () => {
    const longTermStore = new MemoryLongTermStore()
    const { engine, clock, store } = memoryEngine({
      longTermStore,
      cleanup: { rules: [{ match: { taskTypes: ['keep'] }, trigger: { afterMs: 100 }, target: 'task' }, { match: { taskTypes: ['drop'] }, trigger: { afterMs: 100 }, target: 'all' }] },
    })
    const keep = await runningTask(engine, { type: 'keep' })
    const drop = await runningTask(engine, { type: 'drop' })
    await engine.transitionTask(keep.id, 'completed')
    await engine.transitionTask(drop.id, 'completed')
    // The archive writer flushes after 20 ms; the rules fire at 100 ms.
    await clock.advance(100)
    expect(await store.getTask(keep.id)).toBeNull()
    expect(await engine.getTask(keep.id)).toMatchObject({ id: keep.id, status: 'completed' })
    expect((await engine.getEvents(keep.id)).map((e) => e.index)).toEqual([0, 1])
    expect(await engine.getTask(drop.id)).toBeNull()
    expect(await longTermStore.getTask(drop.id)).toBeNull()
  })
})
