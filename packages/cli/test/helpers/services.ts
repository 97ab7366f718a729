// Redis and PostgreSQL for the adapter tests: reachability (skip loudly, or fail under CI),
// run-specific key prefixes and schemas, and their cleanup.
import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { PostgresLongTermStore } from '@taskcast/postgres'
import { RedisShortTermStore } from '@taskcast/redis'
import { it } from 'vitest'
import { PACKAGE_DIR } from './paths.js'

export const REDIS_URL = process.env.TASKCAST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const POSTGRES_URL = process.env.TASKCAST_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function probe(check: () => Promise<void>, close: () => Promise<void>): Promise<string | null> {
  try {
    await check()
    return null
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    await close().catch(() => undefined)
  }
}

const redisProbe = new RedisShortTermStore({ url: REDIS_URL })
const postgresProbe = new PostgresLongTermStore({ url: POSTGRES_URL, connectionTimeoutMillis: 2000 })
const unreachable = [
  ['Redis', REDIS_URL, await probe(() => redisProbe.ping(), () => redisProbe.close())],
  ['PostgreSQL', POSTGRES_URL, await probe(() => postgresProbe.ping(), () => postgresProbe.close())],
].filter(([, , reason]) => reason !== null)

/** True when Redis and PostgreSQL answer; otherwise registers a test that fails under CI=true or is skipped loudly. */
export function servicesAvailable(suite: string): boolean {
  if (unreachable.length === 0) return true
  const reason = unreachable.map(([name, url, why]) => `${name} at ${url} is unreachable (${why})`).join('; ')
  if (process.env.CI === 'true') {
    it(`${suite}: Redis and PostgreSQL are reachable`, () => {
      throw new Error(`${reason}; CI=true requires them`)
    })
  } else {
    console.warn(`\n⚠️  SKIPPING ${suite}: ${reason}. Set TASKCAST_TEST_REDIS_URL / TASKCAST_TEST_POSTGRES_URL or start the services.\n`)
    it.skip(`${suite} (services unreachable)`, () => {})
  }
  return false
}

/** A suffix unique to this run: `taskcast-test:cli:<id>:` keys, `taskcast_cli_<id>` schemas. */
export function runId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
}

/** Drops the schemas a run created, with the pg driver @taskcast/postgres depends on. */
export async function dropSchemas(schemas: string[]): Promise<void> {
  if (schemas.length === 0) return
  const postgresPackage = realpathSync(join(PACKAGE_DIR, 'node_modules/@taskcast/postgres/package.json'))
  const pg = createRequire(postgresPackage)('pg') as {
    Client: new (options: { connectionString: string }) => {
      connect(): Promise<void>
      query(sql: string): Promise<unknown>
      end(): Promise<void>
    }
  }
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}
