// The broadcast contract: one suite every BroadcastProvider adapter must pass unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BroadcastProvider } from '../storage/broadcast-provider.js'
import type { TaskEvent } from '../types.js'
import { makeDraft } from './fixtures.js'

export interface BroadcastProviderContractOptions {
  /** Creates the provider under test; called once for the suite. */
  create: () => Promise<BroadcastProvider> | BroadcastProvider
  destroy?: (provider: BroadcastProvider) => Promise<void>
  /**
   * Resolves once a new subscription is live end to end (a Redis SUBSCRIBE is
   * acknowledged asynchronously) and the messages published before it have arrived.
   * Memory adapters need nothing.
   */
  settle?: (provider: BroadcastProvider) => Promise<void>
}

function event(taskId: string, index: number): TaskEvent {
  return { ...makeDraft(taskId, { data: { index } }), index }
}

/** Collects events until `count` arrived. */
function collector(count: number) {
  const received: TaskEvent[] = []
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  if (count === 0) resolve()
  return {
    received,
    done,
    handler: (e: TaskEvent) => {
      received.push(e)
      if (received.length === count) resolve()
    },
  }
}

export function describeBroadcastProviderContract(name: string, options: BroadcastProviderContractOptions): void {
  describe(`BroadcastProvider contract: ${name}`, () => {
    let provider: BroadcastProvider
    const settle = () => options.settle?.(provider) ?? Promise.resolve()

    beforeAll(async () => {
      provider = await options.create()
    })
    afterAll(async () => {
      if (options.destroy) await options.destroy(provider)
      else await provider.close()
    })

    it('delivers a task’s events to each of its subscribers in publish order', async () => {
      const taskId = `bc-${Math.random().toString(36).slice(2)}`
      const a = collector(100)
      const b = collector(100)
      const offA = provider.subscribe(taskId, a.handler)
      const offB = provider.subscribe(taskId, b.handler)
      await settle()
      for (let i = 0; i < 100; i++) await provider.publish(taskId, event(taskId, i))
      await Promise.all([a.done, b.done])
      const expected = Array.from({ length: 100 }, (_, i) => i)
      expect(a.received.map((e) => e.index)).toEqual(expected)
      expect(b.received.map((e) => e.index)).toEqual(expected)
      expect(a.received[7]!.data).toEqual({ index: 7 })
      offA()
      offB()
    })

    it('delivers a batch (publishEvents, optional) event by event, in order, between single publishes', async ({ skip }) => {
      if (!provider.publishEvents) return skip()
      const taskId = `bc-${Math.random().toString(36).slice(2)}`
      const sink = collector(8)
      const off = provider.subscribe(taskId, sink.handler)
      await settle()
      await provider.publish(taskId, event(taskId, 0))
      await provider.publishEvents(taskId, [1, 2, 3, 4, 5, 6].map((i) => event(taskId, i)))
      await provider.publish(taskId, event(taskId, 7))
      await sink.done
      await settle()
      expect(sink.received.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
      expect(sink.received[4]!.data).toEqual({ index: 4 })
      off()
    })

    it('does not deliver another task’s events', async () => {
      const mine = `bc-${Math.random().toString(36).slice(2)}`
      const other = `${mine}-other`
      const c = collector(1)
      const off = provider.subscribe(mine, c.handler)
      await settle()
      await provider.publish(other, event(other, 0))
      await provider.publish(mine, event(mine, 1))
      await c.done
      expect(c.received.map((e) => [e.taskId, e.index])).toEqual([[mine, 1]])
      off()
    })

    it('stops delivering after unsubscribe, and a second unsubscribe is harmless', async () => {
      const taskId = `bc-${Math.random().toString(36).slice(2)}`
      const gone: TaskEvent[] = []
      const stays = collector(2)
      const off = provider.subscribe(taskId, (e) => gone.push(e))
      const offStays = provider.subscribe(taskId, stays.handler)
      await settle()
      await provider.publish(taskId, event(taskId, 0))
      off()
      off()
      await provider.publish(taskId, event(taskId, 1))
      await stays.done
      expect(gone.map((e) => e.index)).toEqual([0])
      offStays()
    })

    it('keeps delivering to other subscribers when one handler throws', async () => {
      const taskId = `bc-${Math.random().toString(36).slice(2)}`
      const good = collector(2)
      const offBad = provider.subscribe(taskId, () => {
        throw new Error('subscriber bug')
      })
      const offGood = provider.subscribe(taskId, good.handler)
      await settle()
      await provider.publish(taskId, event(taskId, 0))
      await provider.publish(taskId, event(taskId, 1))
      await good.done
      expect(good.received.map((e) => e.index)).toEqual([0, 1])
      offBad()
      offGood()
    })

    describe('every task’s events (optional: runs when the provider has subscribeAll)', () => {
      /** `[taskId, index]` of the events of `tasks` only: the provider may carry other tests’ events too. */
      function ofTasks(received: TaskEvent[], tasks: string[]): [string, number][] {
        return received.filter((e) => tasks.includes(e.taskId)).map((e) => [e.taskId, e.index])
      }

      it('delivers the events of every task to a global handler once each, in publish order per task', async ({ skip }) => {
        const subscribeAll = provider.subscribeAll?.bind(provider)
        if (!subscribeAll) return skip()
        const a = `bc-${Math.random().toString(36).slice(2)}`
        const b = `${a}-b`
        const received: TaskEvent[] = []
        const off = subscribeAll((e) => received.push(e))
        await settle()
        for (let i = 0; i < 3; i++) {
          await provider.publish(a, event(a, i))
          await provider.publish(b, event(b, i))
        }
        // Settling again lets any second delivery of the same events (an echo) arrive first.
        await settle()
        expect(ofTasks(received, [a])).toEqual([[a, 0], [a, 1], [a, 2]])
        expect(ofTasks(received, [b])).toEqual([[b, 0], [b, 1], [b, 2]])
        expect(received.find((e) => e.taskId === a && e.index === 1)!.data).toEqual({ index: 1 })
        off()
      })

      it('stops delivering to a global handler after unsubscribe, and a second unsubscribe is harmless', async ({ skip }) => {
        const subscribeAll = provider.subscribeAll?.bind(provider)
        if (!subscribeAll) return skip()
        const taskId = `bc-${Math.random().toString(36).slice(2)}`
        const gone: TaskEvent[] = []
        const stays: TaskEvent[] = []
        const off = subscribeAll((e) => gone.push(e))
        const offStays = subscribeAll((e) => stays.push(e))
        await settle()
        await provider.publish(taskId, event(taskId, 0))
        off()
        off()
        await provider.publish(taskId, event(taskId, 1))
        await settle()
        expect(ofTasks(gone, [taskId])).toEqual([[taskId, 0]])
        expect(ofTasks(stays, [taskId])).toEqual([[taskId, 0], [taskId, 1]])
        offStays()
        await settle()
        await provider.publish(taskId, event(taskId, 2))
        await settle()
        expect(ofTasks(stays, [taskId])).toEqual([[taskId, 0], [taskId, 1]])
      })

      it('gives a global handler and a task’s handler in the same process each event once', async ({ skip }) => {
        const subscribeAll = provider.subscribeAll?.bind(provider)
        if (!subscribeAll) return skip()
        const taskId = `bc-${Math.random().toString(36).slice(2)}`
        const global: TaskEvent[] = []
        const perTask: TaskEvent[] = []
        const offGlobal = subscribeAll((e) => global.push(e))
        const offTask = provider.subscribe(taskId, (e) => perTask.push(e))
        await settle()
        await provider.publish(taskId, event(taskId, 0))
        await provider.publish(taskId, event(taskId, 1))
        await settle()
        expect(ofTasks(global, [taskId])).toEqual([[taskId, 0], [taskId, 1]])
        expect(ofTasks(perTask, [taskId])).toEqual([[taskId, 0], [taskId, 1]])
        offGlobal()
        offTask()
      })

      it('keeps delivering to other global handlers when one throws', async ({ skip }) => {
        const subscribeAll = provider.subscribeAll?.bind(provider)
        if (!subscribeAll) return skip()
        const taskId = `bc-${Math.random().toString(36).slice(2)}`
        const good: TaskEvent[] = []
        const offBad = subscribeAll(() => {
          throw new Error('subscriber bug')
        })
        const offGood = subscribeAll((e) => good.push(e))
        await settle()
        await provider.publish(taskId, event(taskId, 0))
        await settle()
        expect(ofTasks(good, [taskId])).toEqual([[taskId, 0]])
        offBad()
        offGood()
      })
    })
  })
}
