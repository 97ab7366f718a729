// Redis-specific behaviour of RedisShortTermStore: key layout, TTLs, JSON fidelity, and
// agreement with core's MemoryShortTermStore on series semantics.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskcastError, TaskEngine, type EventDraft, type ShortTermStore, type Task } from '@taskcast/core'
import { makeDraft, makeTask, statusDraft } from '@taskcast/core/testing'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { numberOfKeys, SCRIPTS } from '../src/commands/index.js'
import { RedisShortTermStore } from '../src/index.js'
import { adminClient, deleteKeysUnder, keysUnder, REDIS_URL, redisAvailable, runPrefix } from './redis.js'

async function startRunning(store: ShortTermStore, overrides: Partial<Task> = {}): Promise<Task> {
  const task = makeTask(overrides)
  expect(await store.createTask(task)).toBe(true)
  const outcome = await store.transitionTask(task.id, {
    from: 'pending',
    patch: { status: 'running', updatedAt: task.createdAt + 1 },
    event: statusDraft(task.id, 'running', 'pending'),
  })
  expect(outcome?.event.index).toBe(0)
  return task
}

/** The hash tag Redis Cluster hashes for a key: the content of the first non-empty `{…}`. */
function hashTag(key: string): string {
  const open = key.indexOf('{')
  const close = key.indexOf('}', open + 1)
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key
}

describe('Lua scripts', () => {
  const commandsDir = fileURLToPath(new URL('../src/commands/', import.meta.url))

  it('are one file each, named <name>-<numberOfKeys>.lua, each registered once', () => {
    const files = readdirSync(commandsDir).filter((file) => file.endsWith('.lua'))
    expect(Object.values(SCRIPTS).map((script) => script.file).sort()).toEqual(files.sort())
  })

  it('document in their header exactly the KEYS their file name promises', () => {
    for (const { file } of Object.values(SCRIPTS)) {
      const header = readFileSync(`${commandsDir}${file}`, 'utf8').split(']]')[0]!
      const documented = [...header.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1]))
      expect(Math.max(...documented), file).toBe(numberOfKeys(file))
    }
  })
})

if (redisAvailable('RedisShortTermStore')) {
  describe('RedisShortTermStore on Redis', () => {
    const keyPrefix = runPrefix('store')
    let admin: Redis
    let store: RedisShortTermStore

    beforeAll(() => {
      admin = adminClient()
      store = new RedisShortTermStore({ url: REDIS_URL, keyPrefix })
    })
    afterAll(async () => {
      await store.close()
      admin.disconnect()
      await deleteKeysUnder(keyPrefix)
    })

    it('gives an engine on it, for every cursor, the tail of what a reader from the start gets, gaps included', async () => {
      const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: store })
      try {
        const task = await engine.createTask({})
        await engine.transitionTask(task.id, 'running')
        const published = await engine.publishEvents(task.id, Array.from({ length: 12 }, (_, n) => ({ type: n % 3 ? 'a' : 'b', data: n })))
        await store.deleteEvents(task.id, [published[2]!.id, published[7]!.id])
        await engine.transitionTask(task.id, 'completed')
        const whole = await engine.getEvents(task.id)
        const ids = (events: { id: string }[]) => events.map((e) => e.id)
        for (let index = -1; index <= whole.length + 1; index++) {
          expect(ids(await engine.getEvents(task.id, { filter: { since: { index } } })), `since.index ${index}`).toEqual(ids(whole.slice(index + 1)))
        }
        for (const [at, event] of whole.entries()) {
          expect(ids(await engine.getEvents(task.id, { filter: { since: { id: event.id } } }))).toEqual(ids(whole.slice(at + 1)))
        }
        const unknown = await engine.getEvents(task.id, { filter: { since: { id: published[2]!.id } } }).catch((e: unknown) => e)
        expect(TaskcastError.isInstance(unknown) && unknown.code).toBe('VALIDATION_ERROR')
      } finally {
        await engine.stop()
      }
    })

    it('keeps all of a task’s state in four keys that share the {taskId} hash tag', async () => {
      // Braces inside the id still give the four keys one common tag.
      for (const id of [`tag-${Date.now()}`, `odd}id{${Date.now()}`]) {
        const task = await startRunning(store, { id })
        const events = await store.appendEvents(task.id, [
          makeDraft(task.id, { seriesId: 's', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: 'a' } }),
          makeDraft(task.id, { seriesId: 'p', seriesMode: 'latest', data: 1 }),
          makeDraft(task.id, { seriesId: 'p', seriesMode: 'latest', data: 2 }),
        ])
        await store.deleteEvents(task.id, [events[0]!.id])
        const keys = (await keysUnder(admin, keyPrefix)).filter((key) => key.endsWith(`{${id}}`))
        expect(keys.sort()).toEqual(
          ['events', 'ids', 'series', 'task'].map((kind) => `${keyPrefix}${kind}:{${id}}`),
        )
        expect(new Set(keys.map(hashTag)).size).toBe(1)
      }
    })

    it('refuses a key prefix with braces, which would put every task in one slot', () => {
      expect(() => new RedisShortTermStore({ url: REDIS_URL, keyPrefix: 'app{1}:' })).toThrowError(
        expect.objectContaining({ code: 'VALIDATION_ERROR' }),
      )
    })

    it('gives every key of a task the retention TTL on each write', async () => {
      const retained = new RedisShortTermStore({ url: REDIS_URL, keyPrefix, retentionSeconds: 120 })
      try {
        const task = await startRunning(retained)
        await retained.appendEvents(task.id, [
          makeDraft(task.id, { seriesId: 's', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: 'a' } }),
        ])
        const keys = (await keysUnder(admin, keyPrefix)).filter((key) => key.endsWith(`{${task.id}}`))
        expect(keys).toHaveLength(4)
        for (const key of keys) {
          const ttl = await admin.pttl(key)
          expect(ttl, key).toBeGreaterThan(100_000)
          expect(ttl, key).toBeLessThanOrEqual(120_000)
        }
      } finally {
        await retained.close()
      }
    })

    it('pins every key, including ones created after it, to the deadline expire() set', async () => {
      const retained = new RedisShortTermStore({ url: REDIS_URL, keyPrefix, retentionSeconds: 3600 })
      try {
        const task = await startRunning(retained)
        await retained.expire(task.id, 30)
        // The first series event creates the series key after expire(), and the write
        // must not restart the one-hour retention either.
        await retained.appendEvents(task.id, [
          makeDraft(task.id, { seriesId: 's', seriesMode: 'latest', data: 1 }),
        ])
        const keys = (await keysUnder(admin, keyPrefix)).filter((key) => key.endsWith(`{${task.id}}`))
        expect(keys).toHaveLength(4)
        for (const key of keys) {
          const ttl = await admin.pttl(key)
          expect(ttl, key).toBeGreaterThan(20_000)
          expect(ttl, key).toBeLessThanOrEqual(30_000)
        }
      } finally {
        await retained.close()
      }
    })

    it('forgets a task whose retention ran out, and ignores expire() of an unknown task', async () => {
      const task = await startRunning(store)
      await store.appendEvents(task.id, [makeDraft(task.id)])
      await store.expire(task.id, 0)
      expect(await store.getTask(task.id)).toBeNull()
      expect(await store.getEvents(task.id)).toEqual([])
      await store.expire('never-created', 10)
      expect(await keysUnder(admin, `${keyPrefix}task:{never-created}`)).toEqual([])
    })

    it('keeps an accumulate series’ running value byte-faithful: empty arrays, key order, escapes', async () => {
      const task = await startRunning(store)
      const series = { seriesId: 'answer', seriesMode: 'accumulate' as const, seriesAccField: 'text' }
      const first = { meta: [], text: 'é "q"\n\\', tail: { x: [], y: {} } }
      const second = { meta: [[]], text: '\ud83d', tail: { x: [1.5e-7] } }
      const third = { meta: [], text: '\ude00 end', n: -0.5 }
      const events = await store.appendEvents(task.id, [
        makeDraft(task.id, { ...series, data: first }),
        makeDraft(task.id, { ...series, data: second }),
      ])
      await store.appendEvents(task.id, [makeDraft(task.id, { ...series, data: third })])
      const value = (await store.getSeriesValue(task.id, 'answer')) as Record<string, unknown>
      expect(value).toEqual({ meta: [], text: 'é "q"\n\\😀 end', n: -0.5 })
      expect(Object.keys(value)).toEqual(['meta', 'text', 'n'])
      const stored = await store.getEvents(task.id, { fromIndex: 1 })
      expect(stored.map((event) => event.data)).toEqual([first, second, third])
      expect(stored.slice(0, 2)).toEqual(events)
    })

    it('refuses an accumulate draft without a string in its field, storing nothing', async () => {
      const task = await startRunning(store)
      const error = await store
        .appendEvents(task.id, [
          makeDraft(task.id, { data: 'fine' }),
          makeDraft(task.id, { seriesId: 's', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: 1 } }),
        ])
        .catch((e: unknown) => e)
      expect(TaskcastError.isInstance(error) && error.code).toBe('VALIDATION_ERROR')
      expect((await store.getEvents(task.id)).map((event) => event.index)).toEqual([0])
    })

    it('lets exactly one transition win when several stores race on separate connections', async () => {
      const others = [1, 2, 3].map(() => new RedisShortTermStore({ url: REDIS_URL, keyPrefix }))
      try {
        const task = await startRunning(store)
        const outcomes = await Promise.all(
          [store, ...others].flatMap((racer) =>
            (['completed', 'failed', 'cancelled'] as const).map((status) =>
              racer.transitionTask(task.id, {
                from: 'running',
                patch: { status, updatedAt: Date.now(), completedAt: Date.now() },
                event: statusDraft(task.id, status, 'running'),
              }),
            ),
          ),
        )
        const winners = outcomes.filter((outcome) => outcome !== null)
        expect(winners).toHaveLength(1)
        expect(winners[0]!.event.index).toBe(1)
        expect((await store.getEvents(task.id)).map((event) => event.index)).toEqual([0, 1])
        expect((await others[0]!.getTask(task.id))!.status).toBe(winners[0]!.task.status)
      } finally {
        await Promise.all(others.map((other) => other.close()))
      }
    })

    it('uses a Redis instance it is given and leaves it open on close', async () => {
      const client = adminClient()
      const borrowed = new RedisShortTermStore({ redis: client, keyPrefix })
      const task = await startRunning(borrowed)
      expect((await store.getTask(task.id))!.status).toBe('running')
      await borrowed.close()
      expect(await client.ping()).toBe('PONG')
      client.disconnect()
    })

    it('removes a patch field set to undefined, as object spread does', async () => {
      const task = await startRunning(store, { result: { stale: true } })
      const outcome = await store.transitionTask(task.id, {
        from: 'running',
        patch: { status: 'failed', updatedAt: 5, result: undefined, error: { message: 'x' } },
        event: statusDraft(task.id, 'failed', 'running'),
      })
      expect(outcome!.task).not.toHaveProperty('result')
      expect(await store.getTask(task.id)).toEqual(outcome!.task)
    })

    describe('TTL deadlines', () => {
      const deadlines = `${keyPrefix}deadlines`

      it('lives in one sorted set under the prefix, which another process on the prefix reads too', async () => {
        const task = makeTask({ ttl: 2.5 })
        expect(await store.createTask(task)).toBe(true)
        expect(Number(await admin.zscore(deadlines, task.id))).toBe(task.createdAt + 2500)

        const restarted = new RedisShortTermStore({ url: REDIS_URL, keyPrefix })
        const stranger = new RedisShortTermStore({ url: REDIS_URL, keyPrefix: `${keyPrefix}other:` })
        try {
          expect(await restarted.dueDeadlines(task.createdAt + 2499, 1000)).not.toContain(task.id)
          expect(await restarted.dueDeadlines(task.createdAt + 2500, 1000)).toContain(task.id)
          expect(await stranger.dueDeadlines(task.createdAt + 2500, 1000)).toEqual([])
        } finally {
          await Promise.all([restarted.close(), stranger.close()])
        }
      })

      it('gives the earliest deadlines first, at most `max`', async () => {
        const base = Date.now() - 3_600_000
        const tasks = [3, 1, 2].map((n) => makeTask({ ttl: n, createdAt: base }))
        for (const task of tasks) await store.createTask(task)
        const due = (await store.dueDeadlines(base + 3000, 1000)).filter((id) => tasks.some((t) => t.id === id))
        expect(due).toEqual([tasks[1]!.id, tasks[2]!.id, tasks[0]!.id])
        expect(await store.dueDeadlines(base + 3000, 0)).toEqual([])
        for (const task of tasks) await store.deleteTask(task.id)
      })

      it('keeps the first deadline when a duplicate id is refused', async () => {
        const task = makeTask({ ttl: 60 })
        await store.createTask(task)
        expect(await store.createTask({ ...task, ttl: 1, createdAt: task.createdAt - 10_000 })).toBe(false)
        expect(Number(await admin.zscore(deadlines, task.id))).toBe(task.createdAt + 60_000)
        const untimed = makeTask()
        await store.createTask(untimed)
        expect(await store.createTask({ ...untimed, ttl: 1 })).toBe(false)
        expect(await admin.zscore(deadlines, untimed.id)).toBeNull()
      })

      it('records the deadline again when the task starts, not when it ends', async () => {
        // As if the process died between the create script and the ZADD.
        const task = makeTask({ ttl: 30 })
        await store.createTask(task)
        await admin.zrem(deadlines, task.id)
        await store.transitionTask(task.id, {
          from: 'pending',
          patch: { status: 'running', updatedAt: task.createdAt + 1 },
          event: statusDraft(task.id, 'running', 'pending'),
        })
        expect(Number(await admin.zscore(deadlines, task.id))).toBe(task.createdAt + 30_000)

        await store.clearDeadline(task.id)
        await store.transitionTask(task.id, {
          from: 'running',
          patch: { status: 'completed', updatedAt: task.createdAt + 2, completedAt: task.createdAt + 2 },
          event: statusDraft(task.id, 'completed', 'running'),
        })
        expect(await admin.zscore(deadlines, task.id)).toBeNull()
      })
    })

    describe('archive outbox', () => {
      const outbox = `${keyPrefix}outbox`

      it('lives in one sorted set under the prefix, without a TTL, shared by every process on the prefix', async () => {
        const retaining = new RedisShortTermStore({ url: REDIS_URL, keyPrefix, retentionSeconds: 60 })
        const restarted = new RedisShortTermStore({ url: REDIS_URL, keyPrefix })
        const stranger = new RedisShortTermStore({ url: REDIS_URL, keyPrefix: `${keyPrefix}other:` })
        try {
          const task = makeTask()
          await retaining.outboxAdd(task.id, 1_700_000_000_123)
          await retaining.createTask(task)
          expect(await admin.zscore(outbox, task.id)).toBe('1700000000123')
          expect(await admin.pttl(outbox)).toBe(-1)
          expect(await restarted.outboxList(1_700_000_000_123, 10)).toContainEqual({ taskId: task.id, touchedAt: 1_700_000_000_123 })
          expect(await restarted.outboxClaim(task.id, 1_700_000_000_123, 1_700_000_000_200)).toBe(true)
          expect(await stranger.outboxList(Number.POSITIVE_INFINITY, 10)).toEqual([])
          expect(restarted.outboxDurable).toBe(true)
          await restarted.outboxRemove(task.id)
        } finally {
          await Promise.all([retaining.close(), restarted.close(), stranger.close()])
        }
      })

      it('keeps an entry after its task’s keys expired (a sweep drops it once stale)', async () => {
        const task = await startRunning(store)
        await store.outboxAdd(task.id, 1)
        await store.expire(task.id, 0.05)
        await new Promise((resolve) => setTimeout(resolve, 120))
        expect(await store.getTask(task.id)).toBeNull()
        expect(await store.outboxList(1, 10)).toContainEqual({ taskId: task.id, touchedAt: 1 })
        await store.outboxRemove(task.id)
      })

      it('lists everything with an infinite bound and touches thousands of entries in one command', async () => {
        const ids = Array.from({ length: 2000 }, () => makeTask().id)
        for (const id of ids) await store.outboxAdd(id, 5)
        await store.outboxTouch(ids, 7)
        const listed = (await store.outboxList(Number.POSITIVE_INFINITY, 5000)).filter((entry) => ids.includes(entry.taskId))
        expect(listed).toHaveLength(2000)
        expect(new Set(listed.map((entry) => entry.touchedAt))).toEqual(new Set([7]))
        for (const id of ids) await store.outboxRemove(id)
      })
    })

    describe('agrees with MemoryShortTermStore', () => {
      /** Runs the same calls against both stores; returns what each made of them. */
      async function bothStores(script: (store: ShortTermStore, taskId: string) => Promise<void>) {
        const results = []
        const id = `same-${Date.now()}-${Math.random().toString(36).slice(2)}`
        for (const target of [new MemoryShortTermStore(), store]) {
          counter = 0
          const task = makeTask({ id, createdAt: 1, updatedAt: 1 })
          await target.createTask(task)
          await target.transitionTask(id, {
            from: 'pending',
            patch: { status: 'running', updatedAt: 2 },
            event: { ...statusDraft(id, 'running', 'pending'), id: 'status-0', timestamp: 2 },
          })
          await script(target, id)
          results.push({
            task: await target.getTask(id),
            events: await target.getEvents(id),
            series: await Promise.all(['acc', 'other', 'progress'].map((s) => target.getSeriesValue(id, s))),
          })
        }
        return results
      }

      /** Drafts get the same ids and timestamps in both runs. */
      let counter = 0
      function draft(taskId: string, overrides: Partial<EventDraft>): EventDraft {
        counter += 1
        return makeDraft(taskId, { id: `e-${counter}`, timestamp: counter, ...overrides })
      }

      it('on accumulate series, including one that switches its field', async () => {
        const [memory, redis] = await bothStores(async (target, id) => {
          await target.appendEvents(id, [
            draft(id, { seriesId: 'acc', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: 'a', delta: 'x', k: [] } }),
            draft(id, { seriesId: 'acc', seriesMode: 'accumulate', seriesAccField: 'delta', data: { delta: 'y' } }),
            draft(id, { seriesId: 'other', seriesMode: 'accumulate', data: { delta: 'd1' } }),
            draft(id, { seriesId: 'acc', seriesMode: 'accumulate', seriesAccField: 'text', data: { text: 'b' } }),
            draft(id, { seriesId: 'other', seriesMode: 'accumulate', data: { delta: 'd2', extra: { n: null } } }),
            draft(id, { seriesId: 'keep', seriesMode: 'keep-all', data: { text: 'kept' } }),
          ])
        })
        expect(redis).toEqual(memory)
        expect(redis!.series).toEqual([{ text: 'b' }, { delta: 'd1d2', extra: { n: null } }, undefined])
      })

      it('on latest series, deletions and deleting everything', async () => {
        const [memory, redis] = await bothStores(async (target, id) => {
          const [first] = await target.appendEvents(id, [
            draft(id, { seriesId: 'progress', seriesMode: 'latest', data: { pct: 1 }, level: 'debug' }),
            draft(id, { seriesId: 'progress', seriesMode: 'latest', data: { pct: 2 } }),
          ])
          const [third] = await target.appendEvents(id, [draft(id, { seriesId: 'progress', seriesMode: 'latest', data: [] })])
          // The newest event of the series is deleted: the next one has nothing to supersede.
          expect(await target.deleteEvents(id, [third!.id, 'unknown', third!.id])).toBe(1)
          await target.appendEvents(id, [
            draft(id, { seriesId: 'progress', seriesMode: 'latest', data: { pct: 4 } }),
            draft(id, { seriesId: 'acc', seriesMode: 'accumulate', data: { delta: 'z' } }),
            draft(id, { data: undefined }),
          ])
          expect(await target.deleteEvents(id, [first!.id])).toBe(1)
        })
        expect(redis).toEqual(memory)
        expect(redis!.events.map((event) => [event.index, event.superseded ?? false])).toEqual([
          [0, false],
          [2, true],
          [4, false],
          [5, false],
          [6, false],
        ])
      })

      it('after deleting every event: series state gone, indexes not reused', async () => {
        const [memory, redis] = await bothStores(async (target, id) => {
          await target.appendEvents(id, [
            draft(id, { seriesId: 'acc', seriesMode: 'accumulate', data: { delta: 'gone' } }),
            draft(id, { seriesId: 'progress', seriesMode: 'latest', data: 1 }),
          ])
          expect(await target.deleteEvents(id)).toBe(3)
          await target.appendEvents(id, [
            draft(id, { seriesId: 'acc', seriesMode: 'accumulate', data: { delta: 'new' } }),
            draft(id, { seriesId: 'progress', seriesMode: 'latest', data: 2 }),
          ])
        })
        expect(redis).toEqual(memory)
        expect(redis!.events.map((event) => event.index)).toEqual([3, 4])
        expect(redis!.series[0]).toEqual({ delta: 'new' })
      })
    })
  })
}
