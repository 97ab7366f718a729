// A stream is bound to one incarnation of a task id, across processes: a DELETE through A ends
// B's streams of the task at once; subscribers on B of a
// task deleted through A and created again under the same id get the old task's end (a
// `taskcast.error` frame, TASK_NOT_FOUND, reason "deleted") and never one event of the new
// task; subscribers of a task whose keys vanished from Redis (a store restarted empty) end with
// reason "missing" instead of waiting for ever.
import { TaskcastError } from '@taskcast/core'
import { describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { sdk } from './support/publisher.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { deleteKeysUnder, servicesAvailable } from './support/services.js'

async function rejection(promise: Promise<unknown>): Promise<TaskcastError> {
  return promise.then(
    (value) => {
      throw new Error(`expected the subscription to fail, it ended with ${String(value)}`)
    },
    (error: unknown) => error as TaskcastError,
  )
}

if (await servicesAvailable('task incarnations across processes', ['redis'])) {
  describe('a stream follows one incarnation of a task id, across processes', () => {
    const servers = twoProcesses('incarnation')

    it('ends 10 streams on B of a task deleted and re-created through A, none carrying the new task', async () => {
      const id = `reused-${Date.now()}`
      await sdk(servers.a.url).createTask({ id, type: 'e2e.old' })
      await sdk(servers.a.url).transitionTask(id, 'running')
      await sdk(servers.a.url).publishEvents(id, [
        { type: 'old', data: 1 },
        { type: 'old', data: 2 },
      ])
      const subscribers = Array.from({ length: 10 }, () => new RecordingSubscriber(id, new FailoverFetch([servers.b.url])))
      await Promise.all(subscribers.map((subscriber) => subscriber.reached(2)))

      expect(await sdk(servers.a.url).deleteTask(id)).toBe(true)
      await sdk(servers.a.url).createTask({ id, type: 'e2e.new' })
      await sdk(servers.a.url).transitionTask(id, 'running')
      await sdk(servers.a.url).publishEvents(id, [1, 2, 3, 4, 5].map((n) => ({ type: 'new', data: n })))
      await sdk(servers.a.url).transitionTask(id, 'completed')

      for (const subscriber of subscribers) {
        const error = await rejection(subscriber.done)
        expect([error.code, error.details?.reason]).toEqual(['TASK_NOT_FOUND', 'deleted'])
        expect(subscriber.delivered.map((e) => [e.rawIndex, e.type])).toEqual([
          [0, 'taskcast:status'],
          [1, 'old'],
          [2, 'old'],
        ])
        // One connection: the error frame ends it for good.
        expect(subscriber.connections.map((c) => c.status)).toEqual([200])
      }
    })

    it('ends a stream on B within 1 s of a DELETE through A (the deletion is broadcast)', async () => {
      const id = `deleted-${Date.now()}`
      await sdk(servers.a.url).createTask({ id })
      await sdk(servers.a.url).transitionTask(id, 'running')
      const subscriber = new RecordingSubscriber(id, new FailoverFetch([servers.b.url]))
      await subscriber.reached(0)
      const deletedAt = performance.now()
      expect(await sdk(servers.a.url).deleteTask(id)).toBe(true)
      const error = await rejection(subscriber.done)
      const tookMs = performance.now() - deletedAt
      expect([error.code, error.details?.reason]).toEqual(['TASK_NOT_FOUND', 'deleted'])
      expect(tookMs).toBeLessThan(1000)
    })

    it('ends streams on B of a running task whose keys vanished from Redis, with reason "missing"', { timeout: 60_000 }, async () => {
      const id = `vanished-${Date.now()}`
      await sdk(servers.a.url).createTask({ id })
      await sdk(servers.a.url).transitionTask(id, 'running')
      const subscriber = new RecordingSubscriber(id, new FailoverFetch([servers.b.url]))
      await subscriber.reached(0)
      // What a Redis restarted without persistence does to every task at once.
      await deleteKeysUnder(`${servers.keyPrefix}`)
      const error = await rejection(subscriber.done)
      expect([error.code, error.details?.reason]).toEqual(['TASK_NOT_FOUND', 'missing'])
      expect(subscriber.delivered.map((e) => e.rawIndex)).toEqual([0])
    })
  })
}
