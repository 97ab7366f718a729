// Migrations: one numbered .sql file each, released ones frozen; against the real server,
// applied once, idempotent, safe when run concurrently.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { TaskcastError } from '@taskcast/core'
import type pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { MIGRATIONS, PostgresLongTermStore, runMigrations } from '../src/index.js'
import { migrationFile, renderMigration } from '../src/migrations/migration.js'
import { createPool, describePostgres, dropSchema, makeTask, POSTGRES_URL, randomName } from './postgres.js'

describe('migration files', () => {
  const dir = fileURLToPath(new URL('../src/migrations/', import.meta.url))

  test('are the numbered .sql files of src/migrations, each listed once, versions 1..n in order', () => {
    const files = readdirSync(dir).filter((file) => file.endsWith('.sql'))
    expect(MIGRATIONS.map(migrationFile)).toEqual(files.sort())
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1))
    for (const migration of MIGRATIONS) {
      expect(migration.sql, migrationFile(migration)).toBe(readFileSync(`${dir}${migrationFile(migration)}`, 'utf8'))
    }
  })

  test('use only the schema and prefix placeholders, always inside double quotes', () => {
    for (const migration of MIGRATIONS) {
      const placeholders = [...migration.sql.matchAll(/(.)\{\{([^}]*)\}\}/g)]
      expect(placeholders.length, migrationFile(migration)).toBeGreaterThan(0)
      for (const [, before, name] of placeholders) {
        expect(before, `${migrationFile(migration)}: {{${name}}}`).toBe('"')
        expect(['schema', 'prefix']).toContain(name)
      }
      expect(renderMigration(migration, 'sch', 'pre_')).not.toMatch(/\{\{|\}\}/)
    }
  })

  test('released migrations keep their statements (comments and layout may change)', () => {
    // Databases record only version and name, so a changed statement would silently differ
    // between databases migrated before and after it. Add a new migration instead.
    const released: Record<number, string> = {
      1: 'c5cf3c80b08c64f15b8fe19a05b0504a97117a2fa799ebf2f2bd59ba32e9885c',
      2: '43dde9442324f03c2b6a478d8a7e46df1e2d03fbf95d76345df657d2e89f07d0',
    }
    const statements = (sql: string) => sql.replace(/--[^\n]*/g, '').replace(/\s+/g, ' ').trim()
    for (const migration of MIGRATIONS) {
      const digest = createHash('sha256').update(statements(migration.sql)).digest('hex')
      if (released[migration.version] !== undefined) expect(digest, migrationFile(migration)).toBe(released[migration.version])
    }
  })
})

/** Every migration, as `runMigrations` reports and records them. */
const ALL = [
  { version: 1, name: 'init' },
  { version: 2, name: 'series-places' },
  { version: 3, name: 'task-index' },
]

describePostgres('runMigrations', () => {
  let admin: pg.Pool
  const schemas: string[] = []
  const newSchema = () => {
    const schema = randomName('taskcast_test_mig_')
    schemas.push(schema)
    return schema
  }

  beforeAll(() => {
    admin = createPool()
  })
  afterEach(async () => {
    for (const schema of schemas.splice(0)) await dropSchema(admin, schema)
  })
  afterAll(async () => {
    await admin.end()
  })

  async function recorded(schema: string, prefix = 'taskcast_') {
    const { rows } = await admin.query<{ version: number; name: string }>(
      `SELECT version, name FROM "${schema}"."${prefix}migrations" ORDER BY version`,
    )
    return rows
  }

  async function tables(schema: string) {
    const { rows } = await admin.query<{ tablename: string }>(
      'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
      [schema],
    )
    return rows.map((row) => row.tablename)
  }

  test('creates the schema, applies every migration once and records it', async () => {
    const schema = newSchema()
    const applied = await runMigrations(admin, { schema })
    expect(applied).toEqual(ALL)
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3])
    expect(await recorded(schema)).toEqual(ALL)
    expect(await tables(schema)).toEqual(['taskcast_events', 'taskcast_migrations', 'taskcast_tasks'])
    const { rows } = await admin.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname',
      [schema],
    )
    expect(rows.map((row) => row.indexname)).toEqual([
      'taskcast_events_id_key',
      'taskcast_events_pkey',
      'taskcast_events_series_key',
      'taskcast_migrations_pkey',
      'taskcast_tasks_by_created',
      'taskcast_tasks_by_status',
      'taskcast_tasks_pkey',
    ])
  })

  test('running again applies nothing and changes nothing', async () => {
    const schema = newSchema()
    await runMigrations(admin, { schema })
    const before = await admin.query(`SELECT applied_at FROM "${schema}".taskcast_migrations`)
    expect(await runMigrations(admin, { schema })).toEqual([])
    expect(await runMigrations(admin, { schema })).toEqual([])
    const after = await admin.query(`SELECT applied_at FROM "${schema}".taskcast_migrations`)
    expect(after.rows).toEqual(before.rows)
  })

  test('two processes migrating at once apply each migration exactly once', async () => {
    const schema = newSchema()
    // Separate pools stand for separate processes: each has its own connections.
    const pools = [createPool(1), createPool(1), createPool(1)]
    try {
      const results = await Promise.all(pools.map((pool) => runMigrations(pool, { schema })))
      expect(results.flat().sort((a, b) => a.version - b.version)).toEqual(ALL)
      expect(await recorded(schema)).toEqual(ALL)
    } finally {
      await Promise.all(pools.map((pool) => pool.end()))
    }
  })

  test('keeps separate table sets apart by prefix in one schema', async () => {
    const schema = newSchema()
    expect(await runMigrations(admin, { schema, tablePrefix: 'a_' })).toEqual(ALL)
    expect(await runMigrations(admin, { schema, tablePrefix: 'b_' })).toEqual(ALL)
    expect(await tables(schema)).toEqual([
      'a_events',
      'a_migrations',
      'a_tasks',
      'b_events',
      'b_migrations',
      'b_tasks',
    ])
  })

  test('accepts a URL and closes the pool it created', async () => {
    const schema = newSchema()
    expect(await runMigrations(POSTGRES_URL, { schema })).toEqual(ALL)
    expect(await recorded(schema)).toEqual(ALL)
  })

  test('the store migrates before its first operation when autoMigrate is set', async () => {
    const schema = newSchema()
    const store = new PostgresLongTermStore({ pool: admin, schema, autoMigrate: true })
    const task = makeTask()
    // Concurrent first calls share one migration run.
    await Promise.all([store.saveTask(task), store.getTask('missing'), store.getEvents('missing')])
    expect(await store.getTask(task.id)).toEqual(task)
    expect(await recorded(schema)).toEqual(ALL)
    await store.close()
  })

  test('store.migrate() applies pending migrations and reports them', async () => {
    const schema = newSchema()
    const store = new PostgresLongTermStore({ pool: admin, schema })
    expect(await store.migrate()).toEqual(ALL)
    expect(await store.migrate()).toEqual([])
    await store.close()
  })

  test('upgrading a database of migration 1 keeps what it archived readable', async () => {
    const schema = newSchema()
    const store = new PostgresLongTermStore({ pool: admin, schema })
    // Migration 1 alone, as an older release applied it, and rows as that release wrote them.
    await admin.query(`CREATE SCHEMA "${schema}"`)
    await admin.query(
      `CREATE TABLE "${schema}".taskcast_migrations
         (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    )
    await admin.query(renderMigration(MIGRATIONS[0]!, schema, 'taskcast_'))
    await admin.query(`INSERT INTO "${schema}".taskcast_migrations (version, name) VALUES (1, 'init')`)
    const task = makeTask({ status: 'completed', result: { text: 'Once upon a time' } })
    const base = { taskId: task.id, level: 'info' as const }
    const status = { ...base, id: `${task.id}_e0`, index: 0, timestamp: 1, type: 'taskcast:status' }
    const answer = { ...base, id: `${task.id}_e2`, index: 2, timestamp: 2, type: 'llm.delta', seriesId: 'answer', seriesMode: 'accumulate' as const }
    await admin.query(`INSERT INTO "${schema}".taskcast_tasks VALUES ($1, $2, $3, $4, $5, $6::jsonb)`, [
      task.id,
      task.type,
      task.status,
      task.createdAt,
      task.updatedAt,
      JSON.stringify(task),
    ])
    await admin.query(
      `INSERT INTO "${schema}".taskcast_events VALUES ($1, 0, $2, $3, 'info', 1, NULL, NULL, $4::jsonb, $5::jsonb),
         ($1, 2, $6, 'llm.delta', 'info', 2, 'answer', 'accumulate', $7::jsonb, $8::jsonb)`,
      [
        task.id,
        status.id,
        status.type,
        JSON.stringify({ status: 'completed' }),
        JSON.stringify(status),
        answer.id,
        JSON.stringify({ text: 'Once upon a time' }),
        JSON.stringify(answer),
      ],
    )

    expect(await runMigrations(admin, { schema })).toEqual(ALL.slice(1))
    expect(await store.getTask(task.id)).toEqual(task)
    expect(await store.getEvents(task.id)).toEqual([
      { ...status, data: { status: 'completed' } },
      { ...answer, data: { text: 'Once upon a time' } },
    ])
    // The series row it left moves on as rows of this release do.
    const next = { ...answer, id: `${task.id}_e3`, index: 3, data: { text: 'Once upon a time!' } }
    await store.saveEvents([next])
    expect((await store.getEvents(task.id)).map((e) => [e.index, e.superseded ?? false, e.data])).toEqual([
      [0, false, { status: 'completed' }],
      [2, true, null],
      [3, false, { text: 'Once upon a time!' }],
    ])
    await store.close()
  })

  test('without migrations a read fails with INTERNAL carrying the SQLSTATE, not STORE_UNAVAILABLE', async () => {
    const schema = newSchema()
    const store = new PostgresLongTermStore({ pool: admin, schema })
    const error = await store.getTask('x').catch((e: unknown) => e)
    expect(TaskcastError.isInstance(error)).toBe(true)
    expect((error as TaskcastError).code).toBe('INTERNAL')
    expect((error as TaskcastError).details).toEqual({ sqlState: '42P01' })
    await store.close()
  })
})

test('schema and prefix must be plain lower-case identifiers', async () => {
  const invalid = [
    { schema: 'Public' },
    { schema: 'a"; DROP TABLE x; --' },
    { schema: '1abc' },
    { tablePrefix: 'task-cast_' },
    { tablePrefix: 'x'.repeat(47) },
  ]
  for (const options of invalid) {
    const error = await runMigrations(POSTGRES_URL, options).catch((e: unknown) => e)
    expect((error as TaskcastError).code).toBe('VALIDATION_ERROR')
    expect(() => new PostgresLongTermStore({ url: POSTGRES_URL, ...options })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_ERROR' }),
    )
  }
})

test('the store needs exactly one of pool and url', () => {
  expect(() => new PostgresLongTermStore({})).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }))
  const pool = createPool(1)
  expect(() => new PostgresLongTermStore({ pool, url: POSTGRES_URL })).toThrow(
    expect.objectContaining({ code: 'VALIDATION_ERROR' }),
  )
  return pool.end()
})
