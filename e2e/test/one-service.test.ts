// Scale-out (1): two standalone servers on two loopback ports sharing one Redis behave as one
// service: what is published through A reaches subscribers of B in order, exactly once, and
// of 50 concurrent terminal transitions split across A and B exactly one wins.
import type { TaskStatus, TransitionPayload } from '@taskcast/core'
import { TaskcastError } from '@taskcast/core'
import { describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { history, publishNumbered, sdk, SEQ_TYPE } from './support/publisher.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { expectExactDelivery, expectPublishedOnce, printSummary } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'

if (await servicesAvailable('scale-out: one service from two processes', ['redis'])) {
  describe('two taskcast processes sharing Redis', () => {
    const servers = twoProcesses('one-service')

    it('delivers to subscribers of B everything published through A, in order, exactly once', async () => {
      const count = 2000
      const task = await sdk(servers.a.url).createTask({ type: 'e2e.one-service' })
      await sdk(servers.a.url).transitionTask(task.id, 'running')
      const onB = Array.from({ length: 5 }, () => new RecordingSubscriber(task.id, new FailoverFetch([servers.b.url])))
      const onA = Array.from({ length: 2 }, () => new RecordingSubscriber(task.id, new FailoverFetch([servers.a.url])))
      const subscribers = [...onB, ...onA]
      await Promise.all(subscribers.map((subscriber) => subscriber.reached(0)))

      // Single events, then batches: both paths through the store and the broadcast.
      await publishNumbered({ servers: [servers.a.url], taskId: task.id, count: count / 2 })
      await publishNumbered({ servers: [servers.a.url], taskId: task.id, from: count / 2, count: count / 2, batchSize: 20 })
      await sdk(servers.a.url).transitionTask(task.id, 'completed', { result: { n: count } })

      expect(await Promise.all(subscribers.map((subscriber) => subscriber.done))).toEqual(subscribers.map(() => 'completed'))
      const log = await history(servers.b.url, task.id)
      expect(log).toHaveLength(count + 2)
      const published = expectPublishedOnce(log, count, SEQ_TYPE)
      const onBCounts = expectExactDelivery(log, onB)
      const onACounts = expectExactDelivery(log, onA)
      // One connection each: nothing here should make a subscriber reconnect.
      expect(subscribers.map((subscriber) => subscriber.connections.length)).toEqual(subscribers.map(() => 1))
      printSummary({ scenario: '1a publish through A, subscribe on B', events: log.length, published, subscribersOnB: onB.length, onB: onBCounts, onA: onACounts })
    })

    it('lets exactly one of 50 concurrent terminal transitions split across A and B win, with one status event', async () => {
      const targets: TaskStatus[] = ['completed', 'failed', 'cancelled', 'timeout']
      const payload = (status: TaskStatus, i: number): TransitionPayload =>
        status === 'completed' ? { result: { racer: i } } : { error: { code: `RACER_${i}`, message: `racer ${i}` } }
      const tally = { rounds: 0, wins: 0, conflict: 0, invalidTransition: 0, statusEvents: 0 }

      for (let round = 0; round < 5; round++) {
        const task = await sdk(servers.a.url).createTask({ type: 'e2e.race' })
        await sdk(servers.b.url).transitionTask(task.id, 'running')
        const watchers = [servers.a, servers.b].map((server) => new RecordingSubscriber(task.id, new FailoverFetch([server.url])))
        await Promise.all(watchers.map((watcher) => watcher.reached(0)))

        const outcomes = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => {
            const status = targets[i % targets.length]!
            return sdk((i % 2 === 0 ? servers.a : servers.b).url).transitionTask(task.id, status, payload(status, i))
          }),
        )
        const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [{ i, task: outcome.value }] : []))
        const losers = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []))
        expect(winners).toHaveLength(1)
        for (const loser of losers) {
          expect(TaskcastError.isInstance(loser) && ['CONFLICT', 'INVALID_TRANSITION'].includes(loser.code), String(loser)).toBe(true)
          const { code, details } = loser as TaskcastError
          expect(details?.httpStatus).toBe(code === 'CONFLICT' ? 409 : 400)
        }
        const winner = winners[0]!
        const status = targets[winner.i % targets.length]!
        expect(winner.task.status).toBe(status)

        const log = await history(servers.a.url, task.id)
        expect(log.map((event) => [event.index, event.type, (event.data as { status: string }).status])).toEqual([
          [0, 'taskcast:status', 'running'],
          [1, 'taskcast:status', status],
        ])
        expect(log[1]!.data).toEqual({ status, previousStatus: 'running', ...payload(status, winner.i) })
        expect((await sdk(servers.b.url).getTask(task.id))!.status).toBe(status)
        expect(await Promise.all(watchers.map((watcher) => watcher.done))).toEqual([status, status])
        expectExactDelivery(log, watchers)

        tally.rounds++
        tally.wins += winners.length
        tally.statusEvents += log.length - 1
        for (const loser of losers) {
          if ((loser as TaskcastError).code === 'CONFLICT') tally.conflict++
          else tally.invalidTransition++
        }
      }
      printSummary({ scenario: '1b 50 concurrent terminal transitions across A and B', ...tally })
    })
  })
}
