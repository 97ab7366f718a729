// The archive outbox: what the long-term writer has not archived survives a stop, a crash
// or a restart, because the short-term store keeps the list and any engine on it sweeps.
import { describe, expect, it } from 'vitest'
import { TaskEngine } from '../src/engine/task-engine.js'
import { TaskcastError } from '../src/errors.js'
import type { HookErrorContext } from '../src/hooks.js'
import { MemoryBroadcastProvider } from '../src/memory/memory-broadcast-provider.js'
import { MemoryLongTermStore } from '../src/memory/memory-long-term-store.js'
import { MemoryShortTermStore } from '../src/memory/memory-short-term-store.js'
import type { LongTermStore } from '../src/storage/long-term-store.js'
import { ManualClock } from '../src/testing/manual-clock.js'
import type { Task, TaskEvent } from '../src/types.js'
import { runningTask } from './helpers.js'

/** The archive, which a test can take down (every write fails) or hang (no write ever answers). */
class Archive extends MemoryLongTermStore {
  down = false
  hung = false
  override async saveTask(task: Task) {
    await this.gate()
    return super.saveTask(task)
  }
  override async saveEvents(events: TaskEvent[]) {
    await this.gate()
    return super.saveEvents(events)
  }
  private async gate(): Promise<void> {
    if (this.hung) await new Promise(() => {})
    if (this.down) throw new Error('connection refused')
  }
}

/** A view of one archive through which nothing ever gets written: a process that hangs and then dies. */
function hungView(archive: LongTermStore): LongTermStore {
  return Object.assign(Object.create(archive) as LongTermStore, {
    saveTask: () => new Promise<void>(() => {}),
    saveEvents: () => new Promise<void>(() => {}),
  })
}

interface Reported {
  error: unknown
  context: HookErrorContext
}

/** Engines sharing one short-term store, broadcast and clock, as processes sharing Redis would. */
function cluster() {
  const clock = new ManualClock()
  const store = new MemoryShortTermStore({ clock })
  const broadcast = new MemoryBroadcastProvider()
  const reported: Reported[] = []
  const engine = (longTermStore: LongTermStore) =>
    new TaskEngine({
      broadcast,
      shortTermStore: store,
      longTermStore,
      clock,
      longTermWriter: { sweepIntervalMs: 1000, staleMs: 8000 },
      hooks: { onUnhandledError: (error, context) => void reported.push({ error, context }) },
    })
  const outbox = async () => (await store.outboxList(Number.MAX_SAFE_INTEGER, 1000)).map((entry) => entry.taskId)
  return { clock, store, engine, reported, outbox }
}

/** A task run to completion with `events` user events: `events + 2` entries in its log. */
async function finishedTask(engine: TaskEngine, events: number): Promise<Task> {
  const task = await runningTask(engine)
  await engine.publishEvents(
    task.id,
    Array.from({ length: events }, (_, n) => ({ type: 'step', data: { n } })),
  )
  return engine.transitionTask(task.id, 'completed', { result: { ok: true } })
}

async function expectArchived(archive: LongTermStore, store: MemoryShortTermStore, taskId: string): Promise<void> {
  expect(await archive.getTask(taskId)).toEqual(await store.getTask(taskId))
  expect(await archive.getEvents(taskId)).toEqual(await store.getEvents(taskId))
}

describe('archive outbox', () => {
  it('lists a task before the short-term store has it, and drops it once its end and whole log are archived', async () => {
    const { clock, store, engine, outbox } = cluster()
    const archive = new Archive()
    const seenAtCreate: string[][] = []
    const create = store.createTask.bind(store)
    store.createTask = async (task) => {
      seenAtCreate.push(await outbox())
      return create(task)
    }
    const a = engine(archive)
    const done = await finishedTask(a, 3)
    const live = await runningTask(a)
    expect(seenAtCreate).toEqual([[done.id], [done.id, live.id]])
    await clock.advance(100)
    await expectArchived(archive, store, done.id)
    // The finished task is all archived; the running one may still change.
    expect(await outbox()).toEqual([live.id])
    await a.stop()
  })

  it('does not read back a task that one engine wrote from start to end', async () => {
    const { clock, store, engine, outbox } = cluster()
    const archive = new Archive()
    const a = engine(archive)
    const readBack: string[] = []
    const getEvents = store.getEvents.bind(store)
    store.getEvents = async (taskId, range) => {
      if (range === undefined) readBack.push(taskId)
      return getEvents(taskId, range)
    }
    const tasks = [await finishedTask(a, 30), await finishedTask(a, 1)]
    await clock.advance(12_000)
    expect(readBack).toEqual([])
    store.getEvents = getEvents
    for (const task of tasks) await expectArchived(archive, store, task.id)
    expect(await outbox()).toEqual([])
    await a.stop()
  })

  it('a stop while the archive is down names what was not archived; the next engine on the store archives it', async () => {
    const { clock, store, engine, reported, outbox } = cluster()
    const archive = new Archive()
    archive.down = true
    const a = engine(archive)
    const tasks = [await finishedTask(a, 20), await finishedTask(a, 20), await finishedTask(a, 20)]
    await clock.advance(3000)
    await a.stop({ flushTimeoutMs: 50 })

    const gaveUp = reported.filter(({ error }) => TaskcastError.isInstance(error) && error.message.includes('not archived'))
    expect(gaveUp).toHaveLength(1)
    const error = gaveUp[0]!.error as TaskcastError
    for (const task of tasks) expect(error.message).toContain(`${task.id} (22 events, task)`)
    expect(error.message).toContain('3 tasks with 66 events not archived before stop')
    // A memory store's outbox ends with the process: the report says so rather than promising a rescue.
    expect(error.message).toContain('lost when this process ends')
    expect(error.details!.durable).toBe(false)
    const byId = (a: { taskId: string }, b: { taskId: string }) => a.taskId.localeCompare(b.taskId)
    expect([...(error.details!.unarchived as { taskId: string }[])].sort(byId)).toEqual(
      tasks.map((task) => ({ taskId: task.id, events: 22, task: true })).sort(byId),
    )
    expect(await archive.getTask(tasks[0]!.id)).toBeNull()
    expect((await store.outboxList(0, 10)).map((entry) => entry.taskId).sort()).toEqual(tasks.map((t) => t.id).sort())

    archive.down = false
    const b = engine(archive)
    await clock.advance(100)
    for (const task of tasks) await expectArchived(archive, store, task.id)
    expect(await outbox()).toEqual([])
    await b.stop()
  })

  it('takes a finished task over at start whatever its age, an unfinished one only once nobody touched it for staleMs', async () => {
    const { clock, store, engine, outbox } = cluster()
    const archive = new Archive()
    // A hangs: its writes never finish, so it stops touching the entries (as a dead process would).
    const a = engine(hungView(archive))
    const done = await finishedTask(a, 4)
    const live = await runningTask(a)
    await a.publishEvents(live.id, [{ type: 'x', data: 1 }, { type: 'x', data: 2 }])
    await clock.advance(100)

    const b = engine(archive)
    await clock.advance(100)
    await expectArchived(archive, store, done.id)
    expect(await archive.getTask(live.id)).toBeNull()

    await clock.advance(9000)
    await expectArchived(archive, store, live.id)
    // Still running: it stays listed, claimed by B for another staleMs.
    expect(await outbox()).toEqual([live.id])

    // Later events of the unfinished task are taken over too, and its end takes it out.
    await a.publishEvent(live.id, { type: 'x', data: 3 })
    await a.transitionTask(live.id, 'failed', { error: { message: 'gave up' } })
    await clock.advance(9000)
    await expectArchived(archive, store, live.id)
    expect(await outbox()).toEqual([])
    await b.stop()
  })

  it('does not take over the tasks of a live writer that keeps retrying', async () => {
    const { clock, store, engine, outbox } = cluster()
    const archive = new Archive()
    archive.down = true
    const a = engine(archive)
    const live = await runningTask(a)
    await a.publishEvent(live.id, { type: 'x' })
    const readBack: string[] = []
    const getEvents = store.getEvents.bind(store)
    store.getEvents = async (taskId, range) => {
      if (range === undefined) readBack.push(taskId)
      return getEvents(taskId, range)
    }
    const b = engine(new Archive())
    // A retries at least every maxRetryDelayMs (5 s) and touches its entries each time.
    await clock.advance(30_000)
    expect(readBack).toEqual([])
    archive.down = false
    await clock.advance(9000)
    await expectArchived(archive, store, live.id)
    expect(await outbox()).toEqual([live.id])
    await Promise.all([a.stop(), b.stop()])
  })

  it('a takeover of a live writer’s idle task never leaves the archive with the older snapshot', async () => {
    const { clock, store, engine, outbox } = cluster()
    const archive = new Archive()
    const a = engine(archive)
    const task = await runningTask(a)
    await a.publishEvent(task.id, { type: 'x' })
    await clock.advance(100)
    // B's first write of what it reads back is held until A has finished the task.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let holding = true
    const slowView = Object.assign(Object.create(archive) as LongTermStore, {
      saveTask: async (snapshot: Task) => {
        if (holding) await held
        return archive.saveTask(snapshot)
      },
    })
    const b = engine(slowView)
    // A is idle for longer than staleMs: B takes the task over and starts writing it.
    await clock.advance(9000)
    await a.transitionTask(task.id, 'completed')
    await clock.advance(100)
    expect(await archive.getTask(task.id)).toMatchObject({ status: 'completed' })
    holding = false
    release()
    await clock.advance(100)
    await expectArchived(archive, store, task.id)
    expect(await archive.getTask(task.id)).toMatchObject({ status: 'completed' })
    expect(await outbox()).toEqual([])
    await Promise.all([a.stop(), b.stop()])
  })

  it('reads a task back when it ends through one engine after another published some of it and died', async () => {
    const { clock, store, engine, outbox } = cluster()
    const archive = new Archive()
    const a = engine(hungView(archive))
    const b = engine(archive)
    const task = await runningTask(a)
    await a.publishEvents(task.id, [{ type: 'from-a', data: 1 }, { type: 'from-a', data: 2 }])
    await b.publishEvent(task.id, { type: 'from-b', data: 3 })
    await b.transitionTask(task.id, 'completed')
    // Well before A's entry could be stale: B knows it did not see every event, and reads them.
    await clock.advance(100)
    await expectArchived(archive, store, task.id)
    expect((await archive.getEvents(task.id)).map((event) => event.type)).toEqual([
      'taskcast:status',
      'from-a',
      'from-a',
      'from-b',
      'taskcast:status',
    ])
    expect(await outbox()).toEqual([])
    await b.stop()
  })

  it('forgets a deleted task, and drops the stale entry of a task that is gone', async () => {
    const { clock, store, engine, outbox } = cluster()
    const archive = new Archive()
    const a = engine(archive)
    const task = await runningTask(a)
    expect(await outbox()).toEqual([task.id])
    await a.deleteTask(task.id)
    expect(await outbox()).toEqual([])

    // Entries of tasks that never got created (a crash between the two steps) or expired.
    await store.outboxAdd('gone-long-ago', clock.now() - 60_000)
    await store.outboxAdd('being-created', clock.now())
    await clock.advance(1000)
    expect(await outbox()).toEqual(['being-created'])
    await clock.advance(9000)
    expect(await outbox()).toEqual([])
    expect(await archive.getTask('gone-long-ago')).toBeNull()
    await a.stop()
  })

  it('keeps series compacted when it archives a task read back from the short-term store', async () => {
    const { clock, store, engine } = cluster()
    const archive = new Archive()
    const a = engine(hungView(archive))
    const task = await runningTask(a)
    const acc = { type: 'llm.delta', seriesId: 'answer', seriesMode: 'accumulate' as const }
    await a.publishEvents(task.id, ['Once', ' upon', ' a time'].map((text) => ({ ...acc, data: { text } })))
    await a.publishEvents(task.id, [1, 2, 3].map((pct) => ({ type: 'progress', seriesId: 'p', seriesMode: 'latest' as const, data: { pct } })))
    await a.transitionTask(task.id, 'completed')

    const b = engine(archive)
    await clock.advance(100)
    expect((await archive.getEvents(task.id)).map((event) => [event.index, event.data])).toEqual([
      [0, { status: 'running', previousStatus: 'pending' }],
      [1, null],
      [2, null],
      [3, { text: 'Once upon a time' }],
      [4, null],
      [5, null],
      [6, { pct: 3 }],
      [7, { status: 'completed', previousStatus: 'running' }],
    ])
    expect(await archive.getTask(task.id)).toEqual(await store.getTask(task.id))
    await b.stop()
  })
})
