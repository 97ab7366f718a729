// The deepest JSON a client may store (core's MAX_JSON_DEPTH, plus the levels a status event
// adds around a result) goes into PostgreSQL's jsonb and comes back unchanged.
import { MAX_JSON_DEPTH } from '@taskcast/core'
import type pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { PostgresLongTermStore, runMigrations } from '../src/index.js'
import { createPool, describePostgres, dropSchema, eventFactory, makeTask, randomName } from './postgres.js'

function nested(levels: number): unknown {
  let value: unknown = 'bottom'
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { n: value }
  return value
}

describePostgres('deeply nested values in PostgresLongTermStore', () => {
  const schema = randomName('taskcast_test_deep_')
  let pool: pg.Pool
  let store: PostgresLongTermStore

  beforeAll(async () => {
    pool = createPool()
    await runMigrations(pool, { schema })
    store = new PostgresLongTermStore({ pool, schema })
  })
  afterAll(async () => {
    await store.close()
    await dropSchema(pool, schema)
    await pool.end()
  })

  test('a task and events holding the deepest accepted values read back equal', async () => {
    const deepest = nested(MAX_JSON_DEPTH)
    const task = makeTask({ status: 'completed', params: { x: deepest }, result: { x: deepest } })
    const event = eventFactory(task.id)
    const events = [
      event({ type: 'deep', data: deepest }),
      event({ type: 'taskcast:status', data: { status: 'completed', previousStatus: 'running', result: { x: deepest } } }),
    ]
    await store.saveTask(task)
    await store.saveEvents(events)
    expect(await store.getTask(task.id)).toEqual(task)
    expect((await store.getEvents(task.id)).map((e) => e.data)).toEqual(events.map((e) => e.data))
  })
})
