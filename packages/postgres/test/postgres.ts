// Test helpers: the real PostgreSQL server, one random schema per test file, and skip/fail rules.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { describe, test } from 'vitest'
import type { Task, TaskEvent } from '@taskcast/core'

export const POSTGRES_URL = process.env.TASKCAST_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function unreachableReason(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return undefined
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  } finally {
    await client.end().catch(() => undefined)
  }
}

const unreachable = await unreachableReason()

/**
 * `describe` for tests needing the server. When it is unreachable the block is skipped with
 * a loud warning, except with CI=true, where a failing test takes its place.
 */
export function describePostgres(name: string, body: () => void): void {
  if (unreachable === undefined) {
    describe(name, body)
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      test('PostgreSQL is reachable', () => {
        throw new Error(`PostgreSQL at ${POSTGRES_URL} is unreachable (${unreachable}); CI=true requires it`)
      })
    })
  } else {
    console.warn(
      `\n⚠️  SKIPPING "${name}": PostgreSQL at ${POSTGRES_URL} is unreachable (${unreachable}).` +
        ' Set TASKCAST_TEST_POSTGRES_URL to run these tests.\n',
    )
    describe.skip(name, body)
  }
}

export function randomName(prefix: string): string {
  return `${prefix}${randomBytes(6).toString('hex')}`
}

export function createPool(max = 4): pg.Pool {
  return new pg.Pool({ connectionString: POSTGRES_URL, max })
}

export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
}

export function makeTask(overrides: Partial<Task> = {}): Task {
  return {
    id: randomName('task_'),
    type: 'llm.chat',
    status: 'running',
    params: { prompt: 'Tell me a story' },
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_500,
    ...overrides,
  }
}

/** Builds events of one task with consecutive indexes and distinct ids. */
export function eventFactory(taskId: string) {
  let next = 0
  return (fields: Partial<TaskEvent> = {}): TaskEvent => {
    const index = fields.index ?? next
    next = index + 1
    return {
      id: `${taskId}_e${String(index).padStart(5, '0')}`,
      taskId,
      index,
      timestamp: 1_700_000_001_000 + index,
      type: 'llm.delta',
      level: 'info',
      data: { n: index },
      ...fields,
    }
  }
}
