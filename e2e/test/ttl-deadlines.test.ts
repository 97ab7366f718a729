// Scale-out (3): TTL deadlines with two processes on one Redis. A task with a 2 s TTL gets
// exactly one `timeout` transition and one status event, whichever process fires it; and
// when both processes are killed and restarted before the deadline, it still fires.
import type { Task, TaskEvent } from '@taskcast/core'
import { afterAll, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { history, sdk } from './support/publisher.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { expectExactDelivery, printSummary } from './support/sequence.js'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL, servicesAvailable } from './support/services.js'
import { TaskcastServer } from './support/taskcast-process.js'

const TTL_SECONDS = 2
/** The engine polls shared deadlines every second; firing may lag the deadline by that, plus load. */
const FIRING_SLACK_MS = 2500

/** The log of a task that timed out: its status events, and nothing else. */
function expectOneTimeout(log: TaskEvent[], startedFirst: boolean): void {
  const statuses = log.map((event) => [event.index, event.type, (event.data as { status: string }).status])
  expect(statuses).toEqual([
    ...(startedFirst ? [[0, 'taskcast:status', 'running']] : []),
    [startedFirst ? 1 : 0, 'taskcast:status', 'timeout'],
  ])
  expect(log.at(-1)!.data).toMatchObject({
    status: 'timeout',
    previousStatus: startedFirst ? 'running' : 'pending',
    error: { code: 'TTL_EXPIRED' },
  })
}

if (await servicesAvailable('scale-out: TTL deadlines across processes', ['redis'])) {
  describe('TTL deadlines shared by two processes', () => {
    const keyPrefix = keyPrefixFor('ttl')
    const config = sharedConfig({ redisUrl: REDIS_URL, keyPrefix })
    const servers: TaskcastServer[] = []
    const start = async (name: string) => {
      const server = await TaskcastServer.start(name, config)
      servers.push(server)
      return server
    }
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.kill()))
      await deleteKeysUnder(keyPrefix)
    })

    it('times a task out exactly once, with one status event, while both processes are up', async () => {
      const [a, b] = await Promise.all([start('A'), start('B')])
      // Pending and running tasks, created through either process.
      const tasks: { task: Task; started: boolean }[] = []
      for (let i = 0; i < 6; i++) {
        const task = await sdk((i % 2 === 0 ? a : b).url).createTask({ type: 'e2e.ttl', ttl: TTL_SECONDS })
        const started = i % 3 !== 0
        if (started) await sdk((i % 2 === 0 ? b : a).url).transitionTask(task.id, 'running')
        tasks.push({ task, started })
      }
      const watchers = tasks.flatMap(({ task }) => [a, b].map((server) => new RecordingSubscriber(task.id, new FailoverFetch([server.url]))))

      expect(new Set(await Promise.all(watchers.map((watcher) => watcher.done)))).toEqual(new Set(['timeout']))
      const firedAfterMs: number[] = []
      for (const { task, started } of tasks) {
        const stored = (await sdk(b.url).getTask(task.id))!
        expect(stored).toMatchObject({ status: 'timeout', error: { code: 'TTL_EXPIRED' } })
        const deadline = task.createdAt + TTL_SECONDS * 1000
        expect(stored.completedAt!).toBeGreaterThanOrEqual(deadline)
        expect(stored.completedAt! - deadline).toBeLessThan(FIRING_SLACK_MS)
        firedAfterMs.push(stored.completedAt! - deadline)
        expectOneTimeout(await history(a.url, task.id), started)
      }
      // Both processes keep polling the shared deadlines: give each more than one more round,
      // then check that nothing fired a second time.
      await new Promise((resolve) => setTimeout(resolve, 2500))
      for (const { task, started } of tasks) expectOneTimeout(await history(b.url, task.id), started)
      for (const [i, { task }] of tasks.entries()) expectExactDelivery(await history(a.url, task.id), watchers.slice(2 * i, 2 * i + 2))

      await Promise.all([a.stop(), b.stop()])
      printSummary({
        scenario: '3a TTL with A and B up',
        tasks: tasks.length,
        timeoutTransitionsPerTask: 1,
        statusEventsPerTimeout: 1,
        firedAfterDeadlineMs: { min: Math.min(...firedAfterMs), max: Math.max(...firedAfterMs) },
        lost: 0,
        duplicated: 0,
      })
    })

    it('still fires after both processes are killed and restarted before the deadline', async () => {
      const [a, b] = await Promise.all([start('A'), start('B')])
      const pending = await sdk(a.url).createTask({ type: 'e2e.ttl', ttl: TTL_SECONDS })
      const running = await sdk(b.url).createTask({ type: 'e2e.ttl', ttl: TTL_SECONDS })
      await sdk(a.url).transitionTask(running.id, 'running')
      // Nothing of the deadlines survives in either process: only Redis has them now.
      await Promise.all([a.kill(), b.kill()])
      const killedBeforeDeadlineMs = pending.createdAt + TTL_SECONDS * 1000 - Date.now()
      expect(killedBeforeDeadlineMs).toBeGreaterThan(0)

      const [a2, b2] = await Promise.all([start('A2'), start('B2')])
      const restartedBeforeDeadlineMs = pending.createdAt + TTL_SECONDS * 1000 - Date.now()
      const watchers = [pending, running].flatMap((task) => [a2, b2].map((server) => new RecordingSubscriber(task.id, new FailoverFetch([server.url]))))
      expect(await Promise.all(watchers.map((watcher) => watcher.done))).toEqual(watchers.map(() => 'timeout'))

      expectOneTimeout(await history(b2.url, pending.id), false)
      expectOneTimeout(await history(a2.url, running.id), true)
      await new Promise((resolve) => setTimeout(resolve, 2500))
      expectOneTimeout(await history(a2.url, pending.id), false)
      expectOneTimeout(await history(b2.url, running.id), true)
      expectExactDelivery(await history(a2.url, pending.id), watchers.slice(0, 2))
      expectExactDelivery(await history(a2.url, running.id), watchers.slice(2, 4))
      printSummary({
        scenario: '3b TTL across a restart of A and B',
        tasks: 2,
        killedBeforeDeadlineMs,
        restartedBeforeDeadlineMs,
        timeoutTransitionsPerTask: 1,
        statusEventsPerTimeout: 1,
        lost: 0,
        duplicated: 0,
      })
    })
  })
}
