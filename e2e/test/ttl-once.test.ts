// Scale-out (7): a TTL fires exactly once (SPEC §6, §11), counted per task. With one, two and
// three processes on one Redis, 20 tasks (pending and running, created and started through
// different processes) each log exactly one `timeout` status event with `TTL_EXPIRED`, every
// subscriber on every process gets it once, Redis forgets each deadline, and no process logs
// an error. Then the processes go away before any deadline (one SIGTERM, one SIGKILL), half the
// deadlines pass while nothing runs, and two new processes fire every one of them once.
// (ttl-deadlines.test.ts covers two processes with six tasks, and a SIGKILL of both with a
// restart before the deadline.)
import { afterAll, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { pollUntil } from './support/outbox-archive.js'
import { history } from './support/publisher.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { expectExactDelivery, printSummary, sumCounts } from './support/sequence.js'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL, servicesAvailable } from './support/services.js'
import { TaskcastServer } from './support/taskcast-process.js'
import {
  createTtlTasks,
  deadlinesHeld,
  errorLines,
  expectTimedOutOnce,
  histogram,
  timeoutEvents,
  untilAllTimedOut,
  type TtlTask,
} from './support/ttl-tasks.js'

const TASKS = 20
const TTL_SECONDS = 2
/** The engine polls shared deadlines every second; firing may lag the deadline by that, plus load. */
const FIRING_SLACK_MS = 2500
/**
 * How early a deadline may fire by the wall clock. The process that created a task also holds a
 * setTimeout for its deadline, and Node's timers fire up to 1 ms early as Date.now() measures
 * them (libuv truncates its loop time to whole ms: libuv/libuv#4773, nodejs/node#26578), so
 * `completedAt` is sometimes `deadline - 1`. Polled deadlines (ZRANGEBYSCORE up to now) never fire early.
 */
const TIMER_EARLY_MS = 1
/**
 * After every task timed out, how long the logs are watched for a second `timeout`: more than one
 * more poll round (1 s) of every process. An observation window, not a synchronisation.
 */
const SECOND_FIRING_WINDOW_MS = 1500

/** Subscribers to every task on every process, each expected to end with `timeout`. */
function watch(servers: TaskcastServer[], tasks: TtlTask[]): RecordingSubscriber[][] {
  return tasks.map(({ task }) => servers.map((server) => new RecordingSubscriber(task.id, new FailoverFetch([server.url]))))
}

if (await servicesAvailable('scale-out: a TTL fires exactly once', ['redis'])) {
  describe('a TTL fires exactly once, per task', () => {
    const prefixes: string[] = []
    const servers: TaskcastServer[] = []
    const start = async (name: string, keyPrefix: string) => {
      const server = await TaskcastServer.start(name, sharedConfig({ redisUrl: REDIS_URL, keyPrefix }))
      servers.push(server)
      return server
    }
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.kill()))
      for (const prefix of prefixes) await deleteKeysUnder(prefix)
    })

    for (const processes of [1, 2, 3]) {
      it(`times each of ${TASKS} tasks out once with ${processes} process${processes > 1 ? 'es' : ''} on one Redis`, async () => {
        const keyPrefix = keyPrefixFor(`ttl-once-${processes}`)
        prefixes.push(keyPrefix)
        const fleet = await Promise.all(Array.from({ length: processes }, (_, i) => start(String.fromCharCode(65 + i), keyPrefix)))
        const tasks = await createTtlTasks(fleet, TASKS, TTL_SECONDS)
        const ids = tasks.map(({ task }) => task.id)
        expect((await deadlinesHeld(REDIS_URL, keyPrefix, ids)).size).toBe(TASKS)
        const watchers = watch(fleet, tasks)

        const stored = await untilAllTimedOut(fleet, tasks, TTL_SECONDS * 1000 + FIRING_SLACK_MS + 2000)
        const firedAfterMs = stored.map((task, i) => task.completedAt! - tasks[i]!.deadline)
        for (const [i, task] of stored.entries()) {
          expect(task).toMatchObject({ status: 'timeout', error: { code: 'TTL_EXPIRED' } })
          expect(firedAfterMs[i]!).toBeGreaterThanOrEqual(-TIMER_EARLY_MS)
          expect(firedAfterMs[i]!).toBeLessThan(FIRING_SLACK_MS)
        }
        // A deadline dealt with is forgotten by the store, so no poll round can return it again.
        await pollUntil('every deadline cleared from Redis', async () => (await deadlinesHeld(REDIS_URL, keyPrefix, ids)).size === 0, 5000)
        for (const [i, subscribers] of watchers.entries()) {
          expect(await Promise.all(subscribers.map((subscriber) => subscriber.done)), `task ${i}`).toEqual(subscribers.map(() => 'timeout'))
        }

        await new Promise((resolve) => setTimeout(resolve, SECOND_FIRING_WINDOW_MS))
        const perTask: number[] = []
        const delivery = []
        for (const [i, { task, started }] of tasks.entries()) {
          const log = await history(fleet[i % processes]!.url, task.id)
          perTask.push(timeoutEvents(log).length)
          expectTimedOutOnce(log, started)
          delivery.push(expectExactDelivery(log, watchers[i]!))
        }
        expect(histogram(perTask)).toEqual({ 1: TASKS })
        expect(fleet.map(errorLines)).toEqual(fleet.map(() => []))
        expect(fleet.map((server) => server.alive)).toEqual(fleet.map(() => true))

        await Promise.all(fleet.map((server) => server.stop()))
        printSummary({
          scenario: `7a TTL once with ${processes} process(es)`,
          processes,
          tasks: TASKS,
          running: tasks.filter(({ started }) => started).length,
          timeoutEventsPerTask: histogram(perTask),
          subscribers: TASKS * processes,
          delivery: sumCounts(delivery),
          firedAfterDeadlineMs: { min: Math.min(...firedAfterMs), max: Math.max(...firedAfterMs) },
          firedEarlyByTimer: firedAfterMs.filter((ms) => ms < 0).length,
          errorLines: 0,
        })
      })
    }

    it('fires every deadline once after the processes are replaced, including those that passed while none ran', async () => {
      const keyPrefix = keyPrefixFor('ttl-once-restart')
      prefixes.push(keyPrefix)
      const [a, b] = await Promise.all([start('A', keyPrefix), start('B', keyPrefix)])
      // Half the deadlines pass while no process runs; the other half after the new ones are up.
      const overdue = await createTtlTasks([a, b], TASKS / 2, TTL_SECONDS, 'e2e.ttl.overdue')
      const later = await createTtlTasks([b, a], TASKS / 2, TTL_SECONDS + 2.5, 'e2e.ttl.later')
      const tasks = [...overdue, ...later]
      const ids = tasks.map(({ task }) => task.id)

      // A gracefully, B as a crash; both gone before the first deadline.
      const [stopped, killed] = await Promise.all([a.stop(), b.kill()])
      expect(stopped).toEqual({ code: 0, signal: null })
      expect(killed).toEqual({ code: null, signal: 'SIGKILL' })
      const goneBeforeDeadlineMs = Math.min(...tasks.map(({ deadline }) => deadline)) - Date.now()
      expect(goneBeforeDeadlineMs).toBeGreaterThan(0)
      // Nothing fired, and only Redis knows the deadlines now: all 20, at createdAt + ttl.
      const held = await deadlinesHeld(REDIS_URL, keyPrefix, ids)
      expect(held).toEqual(new Map(tasks.map(({ task, deadline }) => [task.id, deadline])))
      expect([...errorLines(a), ...errorLines(b)]).toEqual([])

      const lastOverdue = Math.max(...overdue.map(({ deadline }) => deadline))
      await pollUntil('the overdue deadlines passed with no process running', async () => Date.now() > lastOverdue, 5000)
      const restartedAt = Date.now()
      const [a2, b2] = await Promise.all([start('A2', keyPrefix), start('B2', keyPrefix)])
      const restartedBeforeLaterMs = Math.min(...later.map(({ deadline }) => deadline)) - Date.now()
      expect(restartedBeforeLaterMs).toBeGreaterThan(0)
      const watchers = watch([a2, b2], tasks)

      const stored = await untilAllTimedOut([a2, b2], tasks, (TTL_SECONDS + 2.5) * 1000 + FIRING_SLACK_MS + 2000)
      // Overdue ones fire on the new processes' first poll; the later ones at their deadline.
      const overdueFiredAfterStartMs = stored.slice(0, overdue.length).map((task) => task.completedAt! - restartedAt)
      const laterFiredAfterDeadlineMs = stored.slice(overdue.length).map((task, i) => task.completedAt! - later[i]!.deadline)
      for (const ms of [...overdueFiredAfterStartMs, ...laterFiredAfterDeadlineMs]) expect(ms).toBeLessThan(FIRING_SLACK_MS)
      for (const ms of [...overdueFiredAfterStartMs, ...laterFiredAfterDeadlineMs]) expect(ms).toBeGreaterThanOrEqual(0)
      await pollUntil('every deadline cleared from Redis', async () => (await deadlinesHeld(REDIS_URL, keyPrefix, ids)).size === 0, 5000)
      for (const subscribers of watchers) expect(await Promise.all(subscribers.map((subscriber) => subscriber.done))).toEqual(['timeout', 'timeout'])

      await new Promise((resolve) => setTimeout(resolve, SECOND_FIRING_WINDOW_MS))
      const perTask: number[] = []
      const delivery = []
      for (const [i, { task, started }] of tasks.entries()) {
        const log = await history((i % 2 === 0 ? a2 : b2).url, task.id)
        perTask.push(timeoutEvents(log).length)
        expectTimedOutOnce(log, started)
        delivery.push(expectExactDelivery(log, watchers[i]!))
      }
      expect(histogram(perTask)).toEqual({ 1: TASKS })
      expect([...errorLines(a2), ...errorLines(b2)]).toEqual([])

      await Promise.all([a2.stop(), b2.stop()])
      printSummary({
        scenario: '7b TTL once across a replacement of A (SIGTERM) and B (SIGKILL)',
        tasks: TASKS,
        overdueAtRestart: overdue.length,
        dueAfterRestart: later.length,
        goneBeforeDeadlineMs,
        restartedBeforeLaterMs,
        timeoutEventsPerTask: histogram(perTask),
        delivery: sumCounts(delivery),
        overdueFiredAfterStartMs: { min: Math.min(...overdueFiredAfterStartMs), max: Math.max(...overdueFiredAfterStartMs) },
        laterFiredAfterDeadlineMs: { min: Math.min(...laterFiredAfterDeadlineMs), max: Math.max(...laterFiredAfterDeadlineMs) },
        errorLines: 0,
      })
    })
  })
}
