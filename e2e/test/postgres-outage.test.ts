// Scale-out (6): PostgreSQL unreachable for 10 s during a 2,000-event run (a TCP proxy
// between both processes and PostgreSQL destroys their connections and refuses new ones;
// the shared PostgreSQL itself is never stopped). Publishing is not affected, and once
// PostgreSQL is back the long-term store holds every event, exactly once.
import type { TaskEvent } from '@taskcast/core'
import type { Client } from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { history, publishNumbered, sdk, SEQ_TYPE } from './support/publisher.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { expectExactDelivery, expectPublishedOnce, printSummary } from './support/sequence.js'
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
import { hostAndPort, TcpProxy } from './support/tcp-proxy.js'
import { TaskcastServer } from './support/taskcast-process.js'

const EVENTS = 2000
const OUTAGE_MS = 10_000

interface ArchivedRow {
  idx: number
  id: string
  type: string
  data: unknown
}

/** The archived rows of a task, read from PostgreSQL directly (not through the proxy). */
async function archived(db: Client, schema: string, taskId: string): Promise<ArchivedRow[]> {
  const { rows } = await db.query<ArchivedRow>(
    `SELECT idx, id, type, data FROM "${schema}"."taskcast_events" WHERE task_id = $1 ORDER BY idx`,
    [taskId],
  )
  return rows
}

if (await servicesAvailable('scale-out: PostgreSQL outage', ['redis', 'postgres'])) {
  describe('PostgreSQL unreachable for 10 s during a run', () => {
    const keyPrefix = keyPrefixFor('pg-outage')
    const schema = schemaFor('pg_outage')
    let proxy: TcpProxy
    let db: Client
    let a: TaskcastServer
    let b: TaskcastServer

    beforeAll(async () => {
      proxy = await TcpProxy.start(hostAndPort(POSTGRES_URL, 5432))
      db = await postgresClient()
      const config = sharedConfig({ redisUrl: REDIS_URL, keyPrefix, postgres: { url: proxy.rewrite(POSTGRES_URL), schema } })
      // One after the other: both would run the migrations at start (they are serialised, but
      // this keeps the start quick and the output clean).
      a = await TaskcastServer.start('A', config)
      b = await TaskcastServer.start('B', config)
    })
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()])
      await proxy?.close()
      await db?.end()
      await dropSchema(schema)
      await deleteKeysUnder(keyPrefix)
    })

    it('archives every event once PostgreSQL is back, while publishing never noticed the outage', async () => {
      const task = await sdk(a.url).createTask({ type: 'e2e.pg-outage' })
      await sdk(b.url).transitionTask(task.id, 'running')
      const subscribers = [a, b].map((server) => new RecordingSubscriber(task.id, new FailoverFetch([server.url])))
      await Promise.all(subscribers.map((subscriber) => subscriber.reached(0)))

      const outage = { startedAtEvent: 0, endedAtEvent: 0, healthWhileDown: [] as number[], archivedWhenBack: 0 }
      let outageOver: Promise<number> | undefined
      let down = false
      await publishNumbered({
        // Both processes publish, so both have archive writes to retry.
        servers: [a.url, b.url],
        taskId: task.id,
        count: EVENTS,
        batchSize: 2,
        pauseMs: 5,
        afterBatch: (published) => {
          if (down) outage.endedAtEvent = published
          if (outageOver || published < EVENTS / 4) return
          down = true
          proxy.down()
          outage.startedAtEvent = published
          const startedAt = Date.now()
          outageOver = (async () => {
            for (const server of [a, b]) {
              const response = await fetch(`${server.url}/health`)
              outage.healthWhileDown.push(response.status)
              await response.body?.cancel()
            }
            await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - startedAt)))
            outage.archivedWhenBack = (await archived(db, schema, task.id)).length
            proxy.up()
            down = false
            return Date.now() - startedAt
          })()
        },
      })
      // The rest of the run and the completion may well fall inside the outage.
      await sdk(a.url).transitionTask(task.id, 'completed')
      const outageMs = await outageOver!
      const refused = proxy.refused

      expect(await Promise.all(subscribers.map((subscriber) => subscriber.done))).toEqual(['completed', 'completed'])
      const log = await history(b.url, task.id)
      const published = expectPublishedOnce(log, EVENTS, SEQ_TYPE)
      const delivered = expectExactDelivery(log, subscribers)

      // The writers retry with backoff (at most 5 s apart): wait for the archive to catch up.
      const caughtUp = Date.now()
      let rows = await archived(db, schema, task.id)
      while (rows.length < log.length && Date.now() - caughtUp < 30_000) {
        await new Promise((resolve) => setTimeout(resolve, 250))
        rows = await archived(db, schema, task.id)
      }
      const catchUpMs = Date.now() - caughtUp
      const expected = log.map((event: TaskEvent) => ({ idx: event.index, id: event.id, type: event.type, data: event.data }))
      const archivedIndexes = new Set(rows.map((row) => row.idx))
      const counts = {
        lost: expected.filter((event) => !archivedIndexes.has(event.idx)).length,
        duplicated: rows.length - new Set(rows.map((row) => row.id)).size,
      }
      expect(counts).toEqual({ lost: 0, duplicated: 0 })
      expect(rows).toEqual(expected)
      const { rows: tasks } = await db.query<{ status: string }>(`SELECT status FROM "${schema}"."taskcast_tasks" WHERE id = $1`, [task.id])
      expect(tasks).toEqual([{ status: 'completed' }])
      // The outage was real: connections were refused, health said so, and the archive lagged.
      expect(refused).toBeGreaterThan(0)
      expect(outage.healthWhileDown).toEqual([503, 503])
      expect(outage.archivedWhenBack).toBeLessThan(outage.endedAtEvent)
      expect([a.alive, b.alive]).toEqual([true, true])

      printSummary({
        scenario: '6 PostgreSQL unreachable for 10 s',
        events: log.length,
        outageMs,
        publishedDuringOutage: outage.endedAtEvent - outage.startedAtEvent,
        archivedWhenBack: outage.archivedWhenBack,
        refusedConnections: refused,
        archiveCaughtUpAfterMs: catchUpMs,
        archive: counts,
        published,
        subscribers: delivered,
      })
    })
  })
}
