// Archive outbox: archive writes pending when a process ends are not lost. With PostgreSQL
// unreachable (a TCP proxy between the process and the shared PostgreSQL is cut), three
// tasks run to completion (66 events); the process is stopped (SIGTERM, exit 0) or killed
// (SIGKILL); the path to PostgreSQL comes back and a new process starts on the same Redis:
// the archive ends with every task and every event exactly once, in order.
import type { TaskEvent } from '@taskcast/core'
import type { Client } from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { archiveCounts, archivedEvents, archivedStatus, outboxEntries, pollUntil } from './support/outbox-archive.js'
import { history, sdk } from './support/publisher.js'
import { printSummary } from './support/sequence.js'
import {
  deleteKeysUnder,
  dropSchema,
  keyPrefixFor,
  POSTGRES_URL,
  postgresClient,
  REDIS_URL,
  schemaFor,
  servicesAvailable,
} from './support/services.js'
import { TaskcastServer } from './support/taskcast-process.js'
import { hostAndPort, TcpProxy } from './support/tcp-proxy.js'

const TASKS = 3
/** User events per task; with its two status events (running, completed) a task logs 22. */
const EVENTS_PER_TASK = 20
const LOGGED_PER_TASK = EVENTS_PER_TASK + 2

/** A task run to completion through `server`: running, 20 numbered events (in batches of 5 and singly), completed. */
async function runTask(server: TaskcastServer, label: string): Promise<string> {
  const client = sdk(server.url)
  const task = await client.createTask({ type: 'e2e.archive-outbox', metadata: { label } })
  await client.transitionTask(task.id, 'running')
  await publishSteps(server, task.id, 0, EVENTS_PER_TASK)
  await client.transitionTask(task.id, 'completed', { result: { label } })
  return task.id
}

async function publishSteps(server: TaskcastServer, taskId: string, from: number, count: number): Promise<void> {
  const client = sdk(server.url)
  const half = Math.floor(count / 2)
  for (let n = from; n < from + half; n += 5) {
    await client.publishEvents(taskId, Array.from({ length: Math.min(5, from + half - n) }, (_, i) => ({ type: 'step', data: { n: n + i } })))
  }
  for (let n = from + half; n < from + count; n++) await client.publishEvent(taskId, { type: 'step', data: { n } })
}

/** The archived rows must be the task's log, exactly: every event once, at its index, in order. */
async function expectArchivedExactly(db: Client, schema: string, server: TaskcastServer, taskId: string) {
  const log = await history(server.url, taskId)
  const rows = await archivedEvents(db, schema, taskId)
  const expected = log.map((event: TaskEvent) => ({ idx: event.index, id: event.id, type: event.type, data: event.data }))
  const archivedIds = new Set(rows.map((row) => row.id))
  const counts = {
    lost: expected.filter((event) => !archivedIds.has(event.id)).length,
    duplicated: rows.length - archivedIds.size,
    outOfOrder: rows.filter((row, i) => i > 0 && row.idx <= rows[i - 1]!.idx).length,
  }
  expect(counts).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0 })
  expect(rows).toEqual(expected)
  expect(await archivedStatus(db, schema, taskId)).toBe('completed')
  return { rows: rows.length, log: log.length }
}

if (await servicesAvailable('archive outbox: restart while PostgreSQL is unreachable', ['redis', 'postgres'])) {
  describe('archive writes pending when a process ends, with PostgreSQL unreachable', () => {
    const proxies: TcpProxy[] = []
    const schemas: string[] = []
    const prefixes: string[] = []
    let db: Client

    /** A fresh service: its own Redis prefix and schema (processes on one prefix share one archive). */
    async function service(scenario: string) {
      const keyPrefix = keyPrefixFor(scenario)
      const schema = schemaFor(scenario.replace(/-/g, '_'))
      const proxy = await TcpProxy.start(hostAndPort(POSTGRES_URL, 5432))
      prefixes.push(keyPrefix)
      schemas.push(schema)
      proxies.push(proxy)
      const config = sharedConfig({ redisUrl: REDIS_URL, keyPrefix, postgres: { url: proxy.rewrite(POSTGRES_URL), schema } })
      return { keyPrefix, schema, proxy, config }
    }

    afterAll(async () => {
      await Promise.all(proxies.map((proxy) => proxy.close()))
      await db?.end()
      for (const schema of schemas) await dropSchema(schema)
      for (const prefix of prefixes) await deleteKeysUnder(prefix)
    })

    it('SIGTERM: exits 0, names what it did not archive, and the next process archives all of it', async () => {
      db ??= await postgresClient()
      const { keyPrefix, schema, proxy, config } = await service('outbox-term')
      // Started while PostgreSQL is reachable: the CLI migrates at start and refuses to start otherwise.
      const a = await TaskcastServer.start('A', config)
      proxy.down()
      const taskIds: string[] = []
      for (let i = 0; i < TASKS; i++) taskIds.push(await runTask(a, `term-${i}`))
      const published = (await Promise.all(taskIds.map((id) => history(a.url, id)))).reduce((sum, log) => sum + log.length, 0)
      expect(published).toBe(TASKS * LOGGED_PER_TASK)
      const archivedWhileDown = await archiveCounts(db, schema, taskIds)

      const stopAt = Date.now()
      const exit = await a.stop()
      const stopMs = Date.now() - stopAt
      expect(exit).toEqual({ code: 0, signal: null })
      // The log names every task left unarchived and how many of its events.
      const line = a.log.split('\n').find((text) => text.includes('not archived before stop'))
      expect(line, a.log).toBeDefined()
      expect(line).toContain(`${TASKS} tasks with ${TASKS * LOGGED_PER_TASK} events not archived before stop`)
      for (const id of taskIds) expect(line).toContain(`${id} (${LOGGED_PER_TASK} events, task)`)
      expect(line).toContain('archive outbox')
      const outboxAtStop = await outboxEntries(keyPrefix)
      expect(taskIds.map((id) => outboxAtStop.get(id))).toEqual(taskIds.map(() => 0))

      proxy.up()
      const restartAt = Date.now()
      const b = await TaskcastServer.start('B', config)
      const expectedCounts = { tasks: TASKS, events: TASKS * LOGGED_PER_TASK }
      let afterRestart = await archiveCounts(db, schema, taskIds)
      await pollUntil('the archive holds every task and event', async () => {
        afterRestart = await archiveCounts(db, schema, taskIds)
        return afterRestart.tasks >= expectedCounts.tasks && afterRestart.events >= expectedCounts.events
      })
      const archivedAfterMs = Date.now() - restartAt
      expect(afterRestart).toEqual(expectedCounts)
      const perTask = []
      for (const id of taskIds) perTask.push(await expectArchivedExactly(db, schema, b, id))
      await pollUntil('the outbox no longer lists the tasks', async () => {
        const left = await outboxEntries(keyPrefix)
        return taskIds.every((id) => !left.has(id))
      })
      await b.stop()
      // Settled: nothing archived twice by a late write.
      expect(await archiveCounts(db, schema, taskIds)).toEqual(expectedCounts)

      printSummary({
        scenario: 'archive outbox: SIGTERM while PostgreSQL is unreachable, then restart',
        tasks: TASKS,
        events: published,
        archivedWhileDown,
        exit,
        stopMs,
        outboxAtStop: taskIds.filter((id) => outboxAtStop.has(id)).length,
        archiveAfterRestart: afterRestart,
        archivedAfterRestartMs: archivedAfterMs,
        perTask,
      })
    })

    it('SIGKILL: finished tasks are archived at the restart, and a task cut off mid-run is archived whole when it ends', async () => {
      db ??= await postgresClient()
      const { keyPrefix, schema, proxy, config } = await service('outbox-kill')
      const a = await TaskcastServer.start('A', config)
      proxy.down()
      const finished: string[] = []
      for (let i = 0; i < TASKS - 1; i++) finished.push(await runTask(a, `kill-${i}`))
      // The third task is half way through when A dies.
      const client = sdk(a.url)
      const cut = (await client.createTask({ type: 'e2e.archive-outbox', metadata: { label: 'cut' } })).id
      await client.transitionTask(cut, 'running')
      await publishSteps(a, cut, 0, EVENTS_PER_TASK / 2)
      const taskIds = [...finished, cut]
      const archivedWhileDown = await archiveCounts(db, schema, taskIds)

      const exit = await a.kill()
      expect(exit.signal).toBe('SIGKILL')
      proxy.up()
      const restartAt = Date.now()
      const b = await TaskcastServer.start('B', config)
      let finishedCounts = await archiveCounts(db, schema, finished)
      const expectedFinished = { tasks: finished.length, events: finished.length * LOGGED_PER_TASK }
      await pollUntil('the archive holds the finished tasks', async () => {
        finishedCounts = await archiveCounts(db, schema, finished)
        return finishedCounts.tasks >= expectedFinished.tasks && finishedCounts.events >= expectedFinished.events
      })
      const finishedArchivedAfterMs = Date.now() - restartAt
      expect(finishedCounts).toEqual(expectedFinished)

      // The cut-off task goes on through B and ends there; its first half was only ever in A's queue.
      await publishSteps(b, cut, EVENTS_PER_TASK / 2, EVENTS_PER_TASK / 2)
      await sdk(b.url).transitionTask(cut, 'completed', { result: { label: 'cut' } })
      const expectedAll = { tasks: TASKS, events: TASKS * LOGGED_PER_TASK }
      let afterRestart = await archiveCounts(db, schema, taskIds)
      await pollUntil('the archive holds the cut-off task whole', async () => {
        afterRestart = await archiveCounts(db, schema, taskIds)
        return afterRestart.events >= expectedAll.events
      })
      expect(afterRestart).toEqual(expectedAll)
      const perTask = []
      for (const id of taskIds) perTask.push(await expectArchivedExactly(db, schema, b, id))
      await pollUntil('the outbox no longer lists the tasks', async () => {
        const left = await outboxEntries(keyPrefix)
        return taskIds.every((id) => !left.has(id))
      })
      await b.stop()
      expect(await archiveCounts(db, schema, taskIds)).toEqual(expectedAll)

      printSummary({
        scenario: 'archive outbox: SIGKILL while PostgreSQL is unreachable, then restart',
        tasks: TASKS,
        archivedWhileDown,
        exit,
        finishedArchivedAfterRestartMs: finishedArchivedAfterMs,
        archiveAfterRestart: afterRestart,
        perTask,
      })
    })
  })
}
