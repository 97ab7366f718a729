// Fencing a zombie producer across processes (SPEC §19): producer P1 claims an epoch and publishes
// through process A; a second instance P2 of the same producer id claims the next epoch through
// process B while P1 still publishes. From P2's first stored event on, the log holds nothing of
// P1's: every later P1 write is refused STALE_PRODUCER (its pending publishes and new ones, and a
// raw request with its stamp), and P1's stored events are a prefix of what it published, in order.
import { TaskcastError, type TaskEvent } from '@taskcast/core'
import { producerHeaders } from '@taskcast/core/wire'
import { TaskcastServerClient } from '@taskcast/server-sdk'
import { describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { history, sdk } from './support/publisher.js'
import { printSummary } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'

const PRODUCER_ID = 'summariser-7'
const P2_EVENTS = 500

interface Step {
  who: 'p1' | 'p2'
  n: number
}

if (await servicesAvailable('fencing a zombie producer across processes', ['redis'])) {
  describe('a producer instance fenced off by the next one', () => {
    const servers = twoProcesses('producer-fencing')

    it('refuses every write of the older instance once the newer one claimed the next epoch', async () => {
      const direct = sdk(servers.a.url)
      const task = await direct.createTask({ type: 'e2e.producer-fencing' })
      await direct.transitionTask(task.id, 'running')

      const p1 = new TaskcastServerClient({ baseUrl: servers.a.url }).producer(task.id, { producerId: PRODUCER_ID, epoch: 'claim' })
      const p1Epoch = await p1.epoch()
      // P1 publishes in bursts until it is refused; P2 starts once P1 has stored 200 events.
      let p1Published = 0
      let warmedUp!: () => void
      const p1Warm = new Promise<void>((resolve) => (warmedUp = resolve))
      const p1Stopped = (async (): Promise<unknown> => {
        for (let stored = 0; ; stored += 20) {
          if (stored >= 200) warmedUp()
          const burst = Array.from({ length: 20 }, () => p1.publish({ type: 'step', data: { who: 'p1', n: p1Published++ } }))
          try {
            await Promise.all(burst)
          } catch (error) {
            return error
          }
        }
      })()
      await p1Warm

      const p2 = new TaskcastServerClient({ baseUrl: servers.b.url }).producer(task.id, { producerId: PRODUCER_ID, epoch: 'claim' })
      const p2Stored = await Promise.all(Array.from({ length: P2_EVENTS }, (_, n) => p2.publish({ type: 'step', data: { who: 'p2', n } })))
      await p2.close()

      const stale = (await p1Stopped) as TaskcastError
      expect(TaskcastError.isInstance(stale)).toBe(true)
      expect([stale.code, stale.details?.currentEpoch]).toEqual(['STALE_PRODUCER', p1Epoch + 1])
      expect(await p2.epoch()).toBe(p1Epoch + 1)
      // Every later write of P1 is refused too: through its producer, and as a raw stamped request.
      expect(await p1.publish({ type: 'step', data: { who: 'p1', n: -1 } }).catch((error: unknown) => error)).toBe(stale)
      const raw = await fetch(`${servers.a.url}/tasks/${task.id}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...producerHeaders({ id: PRODUCER_ID, epoch: p1Epoch, seq: p1Published }) },
        body: JSON.stringify({ type: 'step', data: { who: 'p1', n: p1Published } }),
      })
      expect([raw.status, ((await raw.json()) as { error: { code: string } }).error.code]).toEqual([409, 'STALE_PRODUCER'])

      const log = (await history(servers.b.url, task.id)).filter((event: TaskEvent) => event.type === 'step')
      const steps = log.map((event) => event.data as Step)
      const firstOfP2 = steps.findIndex((step) => step.who === 'p2')
      const p1Kept = steps.slice(0, firstOfP2)
      expect(p1Kept.every((step) => step.who === 'p1')).toBe(true)
      expect(p1Kept.map((step) => step.n)).toEqual(p1Kept.map((_, n) => n))
      expect(steps.slice(firstOfP2)).toEqual(Array.from({ length: P2_EVENTS }, (_, n) => ({ who: 'p2', n })))
      expect(p2Stored.map((event) => event.id)).toEqual(log.slice(firstOfP2).map((event) => event.id))
      printSummary({
        scenario: 'zombie producer fenced across processes',
        p1Epoch,
        p1Published,
        p1StoredBeforeFence: p1Kept.length,
        p1RefusedOrLost: p1Published - p1Kept.length,
        p2Events: P2_EVENTS,
        p1EventsAfterP2First: steps.slice(firstOfP2).filter((step) => step.who === 'p1').length,
      })
    })
  })
}
