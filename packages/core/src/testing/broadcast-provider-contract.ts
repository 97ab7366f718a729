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
   * acknowledged asynchronously). Memory adapters need nothing.
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
  })
}
