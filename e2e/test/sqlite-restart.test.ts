// SQLite (SPEC §20): one standalone process on a database file is killed with SIGKILL in the
// middle of a stream and started again on the same file and port. Nothing it acknowledged is
// lost or doubled: 100 tasks, 5,000 events from idempotent producers, a blocked task with its
// question, TTL deadlines set just before the crash (which fire once, after the restart), and
// subscribers that resume by since.id without a gap.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Task, TaskEvent } from '@taskcast/core'
import { SqliteShortTermStore } from '@taskcast/sqlite'
import { TaskcastServerClient } from '@taskcast/server-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { history, sdk, SEQ_TYPE } from './support/publisher.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { expectExactDelivery, expectPublishedOnce, printSummary } from './support/sequence.js'
import { TaskcastServer } from './support/taskcast-process.js'
import { createTtlTasks, expectTimedOutOnce, untilAllTimedOut, type TtlTask } from './support/ttl-tasks.js'

const STREAMS = 50
const EVENTS_PER_STREAM = 100
const IDLE_TASKS = 39
const TTL_TASKS = 10
const TTL_SECONDS = 2
const SUBSCRIBED_STREAMS = 5
const QUESTION = { type: 'approval', data: { tool: 'shell', command: 'rm -rf build/' } }

describe('a SQLite server killed mid-stream and started again on its file', () => {
  let dir: string
  let path: string
  let first: TaskcastServer

  const start = (name: string, args: string[] = []) =>
    TaskcastServer.start(name, { adapters: { shortTerm: { provider: 'sqlite', path } } }, { args })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taskcast-sqlite-restart-'))
    path = join(dir, 'taskcast.db')
    first = await start('first')
  })
  afterAll(async () => {
    await first?.kill()
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps every acknowledged event once, fires each TTL once, and resumes every subscriber by since.id', async () => {
    const client = sdk(first.url)
    const idle: Task[] = []
    for (let i = 0; i < IDLE_TASKS; i++) idle.push(await client.createTask({ type: 'e2e.sqlite.idle', metadata: { i } }))
    const blocked = await client.createTask({ type: 'e2e.sqlite.blocked' })
    await client.transitionTask(blocked.id, 'running')
    await client.transitionTask(blocked.id, 'blocked', { request: QUESTION })
    const streams: Task[] = []
    for (let i = 0; i < STREAMS; i++) {
      const task = await client.createTask({ type: 'e2e.sqlite.stream' })
      await client.transitionTask(task.id, 'running')
      streams.push(task)
    }

    // Subscribers reconnect to the same address, where the second process listens after the crash.
    const subscribers = streams.slice(0, SUBSCRIBED_STREAMS).flatMap((task) =>
      [0, 1].map(() => new RecordingSubscriber(task.id, new FailoverFetch([first.url]), { reconnectDelayMs: 100 })),
    )
    await Promise.all(subscribers.map((subscriber) => subscriber.reached(0)))

    const producers = streams.map((task) => new TaskcastServerClient({ baseUrl: first.url }).producer(task.id, { maxBatch: 5 }))
    const acknowledged: Promise<TaskEvent>[][] = streams.map(() => [])
    let acknowledgedCount = 0
    let crash: Promise<{ ttl: TtlTask[]; acknowledgedAtKill: number; publishedAtKill: number }> | undefined
    for (let n = 0; n < EVENTS_PER_STREAM; n++) {
      for (const [i, producer] of producers.entries()) {
        acknowledged[i]!.push(producer.publish({ type: SEQ_TYPE, data: { n } }).then((event) => (acknowledgedCount++, event)))
      }
      if (n === EVENTS_PER_STREAM / 2) {
        // Half is acknowledged: deadlines go in (due after the crash), and the process dies while the
        // producers go on publishing, with requests in flight; the second one starts on its port.
        crash = Promise.all(acknowledged.map((events) => events[n - 1])).then(async () => {
          const ttl = await createTtlTasks([first], TTL_TASKS, TTL_SECONDS, 'e2e.sqlite.ttl')
          const counts = { acknowledgedAtKill: acknowledgedCount, publishedAtKill: acknowledged.flat().length }
          const { port } = new URL(first.url)
          expect(await first.kill()).toEqual({ code: null, signal: 'SIGKILL' })
          first = await start('second', ['--port', port])
          return { ttl, ...counts }
        })
      }
      // A round at a time (paced by one stream), so that the crash comes while requests are on their way.
      await acknowledged[0]![n]
    }
    const { ttl, acknowledgedAtKill, publishedAtKill } = await crash!
    expect(acknowledgedAtKill).toBeLessThan(publishedAtKill)
    const stored = await Promise.all(acknowledged.map((events) => Promise.all(events)))
    await Promise.all(producers.map((producer) => producer.close()))

    const again = sdk(first.url)
    // Every task as it was: the idle ones untouched, the blocked one still asking its question.
    for (const task of idle) expect(await again.getTask(task.id)).toEqual({ ...task, subscribers: 0 })
    expect(await again.getTask(blocked.id)).toMatchObject({ status: 'blocked', blockedRequest: QUESTION })
    expect(await again.resolveTask(blocked.id, { approved: true })).toMatchObject({ status: 'running', resolution: { approved: true } })

    // The TTLs set before the crash fire after it, once each; their deadlines are then forgotten.
    await untilAllTimedOut([first], ttl, 20_000)
    for (const { task, started } of ttl) expectTimedOutOnce(await history(first.url, task.id), started)

    let events = 0
    for (const [i, task] of streams.entries()) {
      await again.transitionTask(task.id, 'completed')
      const log = await history(first.url, task.id)
      expectPublishedOnce(log, EVENTS_PER_STREAM, SEQ_TYPE)
      expect(log).toHaveLength(EVENTS_PER_STREAM + 2)
      expect(stored[i]!.map((event) => event.id)).toEqual(log.slice(1, -1).map((event) => event.id))
      events += EVENTS_PER_STREAM
    }
    expect(await Promise.all(subscribers.map((subscriber) => subscriber.done))).toEqual(subscribers.map(() => 'completed'))
    const counts = streams.slice(0, SUBSCRIBED_STREAMS).map(async (task) => {
      const mine = subscribers.filter((subscriber) => subscriber.taskId === task.id)
      return expectExactDelivery(await history(first.url, task.id), mine)
    })
    await Promise.all(counts)
    // Each subscriber came back after the crash asking for what followed the last event it had.
    for (const subscriber of subscribers) {
      const resumed = subscriber.connections.slice(1).filter((connection) => connection.status === 200)
      expect(resumed.length).toBeGreaterThan(0)
      for (const connection of resumed) expect(connection.sinceId).toBe(connection.lastDeliveredId)
    }

    const store = new SqliteShortTermStore({ path })
    try {
      const pending = await store.dueDeadlines(Number.MAX_SAFE_INTEGER, 1000)
      expect(ttl.filter(({ task }) => pending.includes(task.id))).toEqual([])
    } finally {
      await store.close()
    }
    printSummary({
      scenario: 'SQLite process killed mid-stream, restarted on its file',
      tasks: IDLE_TASKS + 1 + STREAMS + TTL_TASKS,
      events,
      acknowledgedAtKill,
      publishedAtKill,
      subscribers: subscribers.length,
      subscriberReconnects: subscribers.reduce((sum, subscriber) => sum + subscriber.connections.length - 1, 0),
      ttlFiredOnce: ttl.length,
      lost: 0,
      duplicated: 0,
    })
  })
})
