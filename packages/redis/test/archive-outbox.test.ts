// The archive outbox across engines on one Redis: what one engine did not archive (it
// stopped or hung while the archive was down) is archived by another engine on the prefix.
import {
  MemoryBroadcastProvider,
  MemoryLongTermStore,
  TaskcastError,
  TaskEngine,
  type LongTermStore,
  type Task,
  type TaskEvent,
} from '@taskcast/core'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RedisShortTermStore } from '../src/index.js'
import { deleteKeysUnder, REDIS_URL, redisAvailable, runPrefix } from './redis.js'

/** The shared archive, which a test takes down (writes fail) or hangs (writes never answer). */
class Archive extends MemoryLongTermStore {
  down = false
  override async saveTask(task: Task) {
    if (this.down) throw new Error('connection refused')
    return super.saveTask(task)
  }
  override async saveEvents(events: TaskEvent[]) {
    if (this.down) throw new Error('connection refused')
    return super.saveEvents(events)
  }
}

function hungView(archive: LongTermStore): LongTermStore {
  return Object.assign(Object.create(archive) as LongTermStore, {
    saveTask: () => new Promise<void>(() => {}),
    saveEvents: () => new Promise<void>(() => {}),
  })
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

if (redisAvailable('archive outbox on Redis')) {
  describe('archive outbox on Redis', () => {
    const prefixes: string[] = []
    const stores: RedisShortTermStore[] = []
    const engines: TaskEngine[] = []
    // Engines on one prefix act as one service with one archive: each test has a prefix of its own.
    let keyPrefix = ''
    beforeEach(() => {
      keyPrefix = runPrefix('outbox')
      prefixes.push(keyPrefix)
    })
    afterEach(async () => {
      await Promise.all(engines.splice(0).map((engine) => engine.stop({ flushTimeoutMs: 10 })))
      await Promise.all(stores.splice(0).map((store) => store.close()))
    })
    afterAll(async () => {
      for (const prefix of prefixes) await deleteKeysUnder(prefix)
    })

    /** An engine of its own on its own connection, as a separate process would have. */
    function process(longTermStore: LongTermStore, errors: unknown[] = [], staleMs = 600) {
      const store = new RedisShortTermStore({ url: REDIS_URL, keyPrefix })
      stores.push(store)
      const engine = new TaskEngine({
        broadcast: new MemoryBroadcastProvider(),
        shortTermStore: store,
        longTermStore,
        longTermWriter: { sweepIntervalMs: 100, staleMs, maxRetryDelayMs: 200 },
        hooks: { onUnhandledError: (error) => void errors.push(error) },
      })
      engines.push(engine)
      return { engine, store }
    }

    async function finishedTask(engine: TaskEngine, events: number): Promise<Task> {
      const task = await engine.createTask({ type: 'outbox.test' })
      await engine.transitionTask(task.id, 'running')
      for (let n = 0; n < events; n++) await engine.publishEvent(task.id, { type: 'step', data: { n } })
      return engine.transitionTask(task.id, 'completed')
    }

    async function archivedAll(archive: LongTermStore, store: RedisShortTermStore, taskId: string): Promise<boolean> {
      const [task, events, archivedTask, archivedEvents] = await Promise.all([
        store.getTask(taskId),
        store.getEvents(taskId),
        archive.getTask(taskId),
        archive.getEvents(taskId),
      ])
      return JSON.stringify([task, events]) === JSON.stringify([archivedTask, archivedEvents])
    }

    it('a stop while the archive is down leaves the tasks in the outbox; the next process archives them', async () => {
      const archive = new Archive()
      archive.down = true
      const errors: unknown[] = []
      const a = process(archive, errors)
      const tasks = [await finishedTask(a.engine, 20), await finishedTask(a.engine, 20), await finishedTask(a.engine, 20)]
      await a.engine.stop({ flushTimeoutMs: 300 })
      const report = errors.find((error) => TaskcastError.isInstance(error) && error.message.includes('not archived'))
      expect(report).toBeDefined()
      expect((report as TaskcastError).message).toContain('3 tasks with 66 events not archived before stop')
      expect((report as TaskcastError).message).toContain('the next process on that store archives them')
      for (const task of tasks) expect((report as TaskcastError).message).toContain(`${task.id} (22 events, task)`)
      expect(await archive.getTask(tasks[0]!.id)).toBeNull()

      archive.down = false
      const b = process(archive)
      for (const task of tasks) await until(() => archivedAll(archive, b.store, task.id), `task ${task.id} is archived`)
      const listed = (await b.store.outboxList(Number.POSITIVE_INFINITY, 1000)).map((entry) => entry.taskId)
      await until(async () => {
        const left = (await b.store.outboxList(Number.POSITIVE_INFINITY, 1000)).map((entry) => entry.taskId)
        return tasks.every((task) => !left.includes(task.id))
      }, `the outbox no longer lists the tasks (it listed ${listed.length})`)
    })

    it('a process that hangs is taken over: finished tasks at once, unfinished ones once stale', async () => {
      const archive = new Archive()
      const a = process(hungView(archive))
      const done = await finishedTask(a.engine, 5)
      const live = await a.engine.createTask({ type: 'outbox.test' })
      await a.engine.transitionTask(live.id, 'running')
      await a.engine.publishEvents(live.id, [{ type: 'x', data: 1 }, { type: 'x', data: 2 }])

      const startedAt = Date.now()
      const b = process(archive, [], 1500)
      await until(() => archivedAll(archive, b.store, done.id), 'the finished task is archived')
      // Not yet the running one: A's entry for it is not stale (1.5 s without a touch) yet.
      expect(await archive.getTask(live.id)).toBeNull()
      await until(() => archivedAll(archive, b.store, live.id), 'the running task is archived')
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000)
      const left = (await b.store.outboxList(Number.POSITIVE_INFINITY, 1000)).map((entry) => entry.taskId)
      expect(left).toContain(live.id)
      expect(left).not.toContain(done.id)
    })
  })
}
