// Scale-out: a resolution of a blocked task has exactly one winner across processes (SPEC §6,
// §16). Two standalone servers share one Redis; 20 concurrent `POST /tasks/:id/resolve`, split
// between them, get exactly one 200 and otherwise 409 CONFLICT or 400 INVALID_TRANSITION; the log
// holds exactly one resolution status event, carrying the winner's answer; subscribers on both
// processes see the question and the answer and stay connected until the task ends.
import { describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { history, sdk } from './support/publisher.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { expectExactDelivery, printSummary } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'

const RESOLVERS = 20
const ROUNDS = 5
const QUESTION = { type: 'approval', data: { tool: 'deploy', env: 'prod' } }

interface Answer {
  racer: number
  status: number
  code: string | undefined
}

/** One resolution over plain HTTP (the server SDK's `resolveTask` is not this test's subject). */
async function resolveThrough(baseUrl: string, taskId: string, racer: number): Promise<Answer> {
  const response = await fetch(`${baseUrl}/tasks/${taskId}/resolve`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ data: { racer } }),
  })
  const body = (await response.json()) as { error?: { code: string } }
  return { racer, status: response.status, code: body.error?.code }
}

if (await servicesAvailable('scale-out: one resolution wins across processes', ['redis'])) {
  describe('resolving a blocked task through two processes sharing Redis', () => {
    const servers = twoProcesses('resolve-across')

    it(`gives exactly one of ${RESOLVERS} concurrent resolutions split over A and B a 200, and one status event`, async () => {
      const tally = { rounds: 0, wins: 0, conflict: 0, invalidTransition: 0, resolutionEvents: 0 }
      for (let round = 0; round < ROUNDS; round++) {
        const task = await sdk(servers.a.url).createTask({ type: 'e2e.resolve-race' })
        await sdk(servers.b.url).transitionTask(task.id, 'running')
        const watchers = [servers.a, servers.b].map((server) => new RecordingSubscriber(task.id, new FailoverFetch([server.url])))
        await Promise.all(watchers.map((watcher) => watcher.reached(0)))
        await sdk(servers.a.url).transitionTask(task.id, 'blocked', { request: QUESTION, reason: 'needs approval' })
        await Promise.all(watchers.map((watcher) => watcher.reached(1)))

        const answers = await Promise.all(
          Array.from({ length: RESOLVERS }, (_, racer) => resolveThrough((racer % 2 === 0 ? servers.a : servers.b).url, task.id, racer)),
        )
        const winners = answers.filter((answer) => answer.status === 200)
        expect(winners, JSON.stringify(answers)).toHaveLength(1)
        const losers = answers.filter((answer) => answer.status !== 200)
        for (const loser of losers) {
          expect([[409, 'CONFLICT'], [400, 'INVALID_TRANSITION']]).toContainEqual([loser.status, loser.code])
        }
        const winner = winners[0]!.racer

        // Each process reads the same task: running, with the winner's answer, the question gone.
        for (const server of [servers.a, servers.b]) {
          const read = (await sdk(server.url).getTask(task.id))!
          expect(read).toMatchObject({ status: 'running', resolution: { racer: winner } })
          expect(read).not.toHaveProperty('blockedRequest')
        }
        await sdk(servers.b.url).publishEvent(task.id, { type: 'e2e.after', data: { round } })
        await sdk(servers.a.url).transitionTask(task.id, 'completed', { result: { approvedBy: winner } })

        const log = await history(servers.b.url, task.id)
        expect(log.map((event) => [event.index, event.type, event.data])).toEqual([
          [0, 'taskcast:status', { status: 'running', previousStatus: 'pending' }],
          [1, 'taskcast:status', { status: 'blocked', previousStatus: 'running', request: QUESTION, reason: 'needs approval' }],
          [2, 'taskcast:status', { status: 'running', previousStatus: 'blocked', resolution: { racer: winner } }],
          [3, 'e2e.after', { round }],
          [4, 'taskcast:status', { status: 'completed', previousStatus: 'running', result: { approvedBy: winner } }],
        ])
        // Subscribers on both processes stayed through the block and ended with the task, once.
        expect(await Promise.all(watchers.map((watcher) => watcher.done))).toEqual(['completed', 'completed'])
        expectExactDelivery(log, watchers)
        expect(watchers.map((watcher) => watcher.connections.length)).toEqual([1, 1])

        tally.rounds++
        tally.wins += winners.length
        tally.conflict += losers.filter((loser) => loser.code === 'CONFLICT').length
        tally.invalidTransition += losers.filter((loser) => loser.code === 'INVALID_TRANSITION').length
        tally.resolutionEvents += log.filter((event) => (event.data as { resolution?: unknown }).resolution !== undefined).length
      }
      expect([tally.wins, tally.resolutionEvents]).toEqual([ROUNDS, ROUNDS])
      printSummary({ scenario: `${RESOLVERS} concurrent resolutions across A and B`, resolvers: RESOLVERS, ...tally })
    })
  })
}
