// Connection failures surface as STORE_UNAVAILABLE with the driver's error as cause.
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { TaskcastError } from '@taskcast/core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { PostgresLongTermStore, runMigrations } from '../src/index.js'
import { createPool, describePostgres, dropSchema, eventFactory, makeTask, POSTGRES_URL, randomName } from './postgres.js'

// Port 1 (tcpmux) is closed on any machine running these tests: connecting is refused at once.
const CLOSED_PORT_URL = 'postgres://postgres@127.0.0.1:1/test'

async function failure(promise: Promise<unknown>): Promise<TaskcastError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!TaskcastError.isInstance(error)) throw new Error(`expected a TaskcastError, got ${String(error)}`)
  return error
}

describe('when PostgreSQL refuses connections', () => {
  const store = new PostgresLongTermStore({ url: CLOSED_PORT_URL, connectionTimeoutMillis: 1_000 })
  afterAll(() => store.close())

  // The 3-second limit is the point: a refused connection must fail fast, not wait on a timeout.
  test('every operation fails with STORE_UNAVAILABLE caused by ECONNREFUSED', { timeout: 3_000 }, async () => {
    const calls: Array<() => Promise<unknown>> = [
      () => store.ping(),
      () => store.saveTask(makeTask()),
      () => store.saveEvents([eventFactory('t')()]),
      () => store.getTask('t'),
      () => store.getEvents('t', { fromIndex: 0 }),
      () => store.deleteTask('t'),
      () => store.deleteEvents('t'),
    ]
    for (const call of calls) {
      const error = await failure(call())
      expect(error.code).toBe('STORE_UNAVAILABLE')
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
    }
  })

  test('runMigrations fails with STORE_UNAVAILABLE', { timeout: 3_000 }, async () => {
    const error = await failure(runMigrations(CLOSED_PORT_URL, { connectionTimeoutMillis: 1_000 }))
    expect(error.code).toBe('STORE_UNAVAILABLE')
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
  })
})

describe('when the server accepts TCP connections but never answers', () => {
  let server: Server
  const sockets = new Set<Socket>()
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })

  test('the connect timeout turns into STORE_UNAVAILABLE', { timeout: 3_000 }, async () => {
    const { port } = server.address() as AddressInfo
    const store = new PostgresLongTermStore({
      url: `postgres://postgres@127.0.0.1:${port}/test`,
      connectionTimeoutMillis: 200,
    })
    const error = await failure(store.getTask('t'))
    expect(error.code).toBe('STORE_UNAVAILABLE')
    expect(error.cause).toBeInstanceOf(Error)
    await store.close()
  })
})

describePostgres('when the server ends a connection during a statement', () => {
  const schema = randomName('taskcast_test_unavail_')
  let admin: pg.Pool
  beforeAll(async () => {
    admin = createPool()
    await runMigrations(admin, { schema })
  })
  afterAll(async () => {
    await dropSchema(admin, schema)
    await admin.end()
  })

  test('the statement fails with STORE_UNAVAILABLE (SQLSTATE 57P01) and the store recovers', async () => {
    // One connection, so its backend pid is the one the store's next statement runs on.
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 })
    pool.on('error', () => undefined)
    const store = new PostgresLongTermStore({ pool, schema })
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    const pid = rows[0]!.pid

    // Hold a lock so the store's read blocks on the server, then terminate its backend.
    const locker = await admin.connect()
    try {
      await locker.query('BEGIN')
      await locker.query(`LOCK TABLE "${schema}".taskcast_events IN ACCESS EXCLUSIVE MODE`)
      const read = failure(store.getEvents('t'))
      await waitUntilBlocked(pid)
      await admin.query('SELECT pg_terminate_backend($1)', [pid])
      const error = await read
      expect(error.code).toBe('STORE_UNAVAILABLE')
      expect(error.details).toEqual({ sqlState: '57P01' })
      expect((error.cause as { code?: string }).code).toBe('57P01')
    } finally {
      await locker.query('ROLLBACK')
      locker.release()
    }

    // The broken connection was discarded: the next call gets a fresh one.
    const task = makeTask()
    await store.saveTask(task)
    expect(await store.getTask(task.id)).toEqual(task)
    await pool.end()
  })

  /** Polls pg_stat_activity: the backend waiting on a lock is a server-side state with no event to await. */
  async function waitUntilBlocked(pid: number): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const { rows } = await admin.query<{ wait_event_type: string | null }>(
        'SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1',
        [pid],
      )
      if (rows[0]?.wait_event_type === 'Lock') return
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    throw new Error(`backend ${pid} never blocked on the lock`)
  }
})
