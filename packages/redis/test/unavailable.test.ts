// What a lost Redis does to writes: they fail fast with STORE_UNAVAILABLE and are never
// replayed once Redis is back (SPEC §6).
import { once } from 'node:events'
import { TaskcastError } from '@taskcast/core'
import { makeDraft, makeTask, statusDraft } from '@taskcast/core/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisBroadcastProvider, RedisShortTermStore, WRITE_CONNECTION_OPTIONS } from '../src/index.js'
import { PrivateRedis, privateRedisAvailable } from './redis.js'

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

/** `withCause`: the adapter owns the connection, so it knows the underlying error. */
function expectUnavailable(error: unknown, withCause = false): void {
  expect(TaskcastError.isInstance(error), String(error)).toBe(true)
  expect((error as TaskcastError).code).toBe('STORE_UNAVAILABLE')
  if (withCause) expect((error as TaskcastError).cause).toBeInstanceOf(Error)
}

describe('an unreachable Redis', () => {
  it('fails every store call and publish with STORE_UNAVAILABLE at once', async () => {
    const store = new RedisShortTermStore({ url: 'redis://127.0.0.1:1' })
    const broadcast = new RedisBroadcastProvider({ url: 'redis://127.0.0.1:1' })
    broadcast.onError = () => {}
    const task = makeTask()
    const started = performance.now()
    try {
      expectUnavailable(await errorOf(store.createTask(task)), true)
      expectUnavailable(await errorOf(store.appendEvents(task.id, [makeDraft(task.id)])), true)
      expectUnavailable(await errorOf(store.getTask(task.id)), true)
      expectUnavailable(await errorOf(store.ping()), true)
      expectUnavailable(await errorOf(broadcast.publish(task.id, { ...makeDraft(task.id), index: 0 })), true)
      expect(performance.now() - started).toBeLessThan(2_000)
    } finally {
      await Promise.all([store.close(), broadcast.close()])
    }
  })
})

if (await privateRedisAvailable('writes during a Redis outage')) {
  describe('writes during a Redis outage', () => {
    let server: PrivateRedis

    beforeAll(async () => {
      server = await PrivateRedis.start()
    })
    afterAll(async () => {
      await server.destroy()
    })

    it('are refused while Redis is down, and not sent when it is back, even on a client with an offline queue', async () => {
      // Default ioredis options: offline queue on. The store must not use it.
      const client = new Redis(server.url)
      client.on('error', () => {})
      const store = new RedisShortTermStore({ redis: client })
      try {
        await store.ping()
        const noticed = once(client, 'close')
        await server.stop()
        // Once ioredis knows the connection is gone it would queue a command offline.
        await noticed
        const task = makeTask()
        expectUnavailable(await errorOf(store.createTask(task)))
        await server.start()
        await reconnected(client)
        // Sent after anything ioredis flushed on reconnect, so a replay would be visible.
        expect(await client.exists(`taskcast:task:{${task.id}}`)).toBe(0)
        expect(await store.getTask(task.id)).toBeNull()
        expect(await store.createTask(task)).toBe(true)
      } finally {
        await store.close()
        client.disconnect()
      }
    })

    it('a write in flight when the connection drops fails as STORE_UNAVAILABLE and is not resent', async () => {
      const client = new Redis(server.url, WRITE_CONNECTION_OPTIONS)
      client.on('error', () => {})
      const admin = new Redis(server.url)
      const store = new RedisShortTermStore({ redis: client })
      try {
        const task = makeTask()
        await store.createTask(task)
        await store.transitionTask(task.id, {
          from: 'pending',
          patch: { status: 'running', updatedAt: 1 },
          event: statusDraft(task.id, 'running', 'pending'),
        })
        const clientId = await client.client('ID')
        // Hold writes at the server, so the append is sent but unanswered when its connection dies.
        await admin.client('PAUSE', 10_000, 'WRITE')
        const append = errorOf(store.appendEvents(task.id, [makeDraft(task.id)]))
        await waitUntilBlocked(admin, clientId)
        await admin.client('KILL', 'ID', clientId)
        expectUnavailable(await append, true)
        await admin.client('UNPAUSE')
        await reconnected(client)
        expect((await store.getEvents(task.id)).map((event) => event.index)).toEqual([0])
        const [next] = await store.appendEvents(task.id, [makeDraft(task.id)])
        expect(next!.index).toBe(1)
      } finally {
        await admin.client('UNPAUSE')
        await store.close()
        client.disconnect()
        admin.disconnect()
      }
    })
  })
}

/**
 * Resolves once `client` is connected again. ioredis flushes whatever it queued before
 * announcing `ready` to code that awaits it, so commands sent after this go after a replay.
 */
async function reconnected(client: Redis): Promise<void> {
  if (client.status !== 'ready') await once(client, 'ready')
}

/** Resolves once the server holds a command of `clientId` (CLIENT LIST shows it paused on it). */
async function waitUntilBlocked(admin: Redis, clientId: number): Promise<void> {
  // The server offers no notification for this, so ask it until it says so (bounded).
  for (let attempt = 0; attempt < 200; attempt++) {
    const info = (await admin.client('LIST', 'ID', clientId)) as string
    // A postponed command is already the client's current one.
    if (/ cmd=(evalsha|eval) /.test(info)) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('the append never reached the server')
}
