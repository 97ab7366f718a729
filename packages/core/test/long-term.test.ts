import { describe, expect, it } from 'vitest'
import { MemoryLongTermStore } from '../src/memory/memory-long-term-store.js'
import type { Task, TaskEvent } from '../src/types.js'
import { collect, memoryEngine, runningTask } from './helpers.js'

/** A long-term store that can be taken down, as a database restart would. */
class FlakyLongTermStore extends MemoryLongTermStore {
  down = false
  attempts = 0
  override async saveTask(task: Task) {
    this.attempts++
    if (this.down) throw new Error('connection refused')
    return super.saveTask(task)
  }
  override async saveEvents(events: TaskEvent[]) {
    this.attempts++
    if (this.down) throw new Error('connection refused')
    return super.saveEvents(events)
  }
}

describe('long-term store', () => {
  it('archives tasks and events in the background and flushes on stop', async () => {
    const longTermStore = new MemoryLongTermStore()
    const { engine } = memoryEngine({ longTermStore })
    const task = await runningTask(engine)
    await engine.publishEvents(task.id, [{ type: 'a' }, { type: 'b' }])
    await engine.transitionTask(task.id, 'completed', { result: { n: 1 } })
    await engine.stop()
    expect(await longTermStore.getTask(task.id)).toEqual(await engine.getTask(task.id))
    expect((await longTermStore.getEvents(task.id)).map((e) => e.index)).toEqual([0, 1, 2, 3])
  })

  it('keeps an accumulate series as one row holding the running value, and a data-less place for each other delta', async () => {
    const longTermStore = new MemoryLongTermStore()
    const { engine } = memoryEngine({ longTermStore })
    const task = await runningTask(engine)
    const acc = { type: 'llm.delta', seriesId: 's', seriesMode: 'accumulate' as const }
    await engine.publishEvents(task.id, [{ ...acc, data: { text: 'a' } }, { ...acc, data: { text: 'b' } }])
    await engine.publishEvent(task.id, { ...acc, data: { text: 'c' } })
    await engine.stop()
    const rows = await longTermStore.getEvents(task.id)
    expect(rows.map((e) => [e.index, e.data, e.superseded ?? false])).toEqual([
      [0, { status: 'running', previousStatus: 'pending' }, false],
      // The places of the collapsed deltas keep filteredIndex the same as live for an archived task.
      [1, null, true],
      [2, null, true],
      [3, { text: 'abc' }, false],
    ])
  })

  it('retries with backoff while the store is down and loses nothing', async () => {
    const longTermStore = new FlakyLongTermStore()
    const errors: string[] = []
    const { engine, clock } = memoryEngine({
      longTermStore,
      hooks: { onUnhandledError: (_e, context) => void errors.push(context.source) },
    })
    longTermStore.down = true
    const task = await runningTask(engine)
    for (let i = 0; i < 50; i++) await engine.publishEvent(task.id, { type: 'tick', data: i })
    await clock.advance(2000)
    const failedAttempts = longTermStore.attempts
    expect(failedAttempts).toBeGreaterThan(2)
    expect(errors).toEqual(['long-term-writer'])
    longTermStore.down = false
    await clock.advance(10_000)
    expect((await longTermStore.getEvents(task.id)).map((e) => e.index)).toEqual(Array.from({ length: 51 }, (_, i) => i))
    expect(await longTermStore.getTask(task.id)).toMatchObject({ status: 'running' })
  })

  it('answers reads from the archive once the short-term store forgot the task', async () => {
    const longTermStore = new MemoryLongTermStore()
    const { engine, store } = memoryEngine({ longTermStore })
    const task = await runningTask(engine)
    await engine.publishEvent(task.id, { type: 'a', data: 1 })
    await engine.transitionTask(task.id, 'completed')
    await engine.stop()
    await store.deleteTask(task.id)
    expect(await engine.getTask(task.id)).toMatchObject({ id: task.id, status: 'completed' })
    expect((await engine.getEvents(task.id)).map((e) => e.type)).toEqual(['taskcast:status', 'a', 'taskcast:status'])
    const sub = collect(engine, task.id)
    expect(await sub.ended).toEqual({ done: 'completed' })
    expect(sub.envelopes.map((e) => e.rawIndex)).toEqual([0, 1, 2])
    await expect(engine.createTask({ id: task.id })).rejects.toMatchObject({ code: 'DUPLICATE_TASK' })
    await expect(engine.publishEvent(task.id, { type: 'late' })).rejects.toMatchObject({ code: 'TASK_NOT_RUNNING' })
  })

  it('reports health per store', async () => {
    const longTermStore = new FlakyLongTermStore()
    longTermStore.ping = async () => {
      throw new Error('down')
    }
    const { engine } = memoryEngine({ longTermStore })
    expect(await engine.health()).toEqual({ ok: false, shortTerm: true, longTerm: false })
    const { engine: plain } = memoryEngine()
    expect(await plain.health()).toEqual({ ok: true, shortTerm: true })
  })
})
