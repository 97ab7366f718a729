// The shared Redis and PostgreSQL (never restarted or stopped here: other suites use them
// at the same time), whether they answer, per-run names, and cleaning up after a run.
import { spawnSync } from 'node:child_process'
import { Redis } from 'ioredis'
import pg from 'pg'
import { it } from 'vitest'

export const REDIS_URL = process.env.TASKCAST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const POSTGRES_URL = process.env.TASKCAST_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export type Service = 'redis' | 'postgres' | 'redis-server'

async function probeRedis(): Promise<string | null> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 })
  // The connection error (ECONNREFUSED…) says more than the "Connection is closed" that follows it.
  let cause: unknown
  client.on('error', (error: unknown) => {
    cause ??= error
  })
  try {
    await client.connect()
    await client.ping()
    return null
  } catch (error) {
    return `Redis at ${REDIS_URL} is unreachable (${message(cause ?? error)})`
  } finally {
    client.disconnect()
  }
}

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_URL} is unreachable (${message(error)})`
  } finally {
    await client.end().catch(() => undefined)
  }
}

function probeRedisServer(): string | null {
  const result = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  return result.status === 0 ? null : `redis-server is not on the PATH (${result.error?.message ?? result.stderr})`
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

const problems = new Map<Service, Promise<string | null>>()
function problem(service: Service): Promise<string | null> {
  let found = problems.get(service)
  if (!found) {
    found = service === 'redis' ? probeRedis() : service === 'postgres' ? probePostgres() : Promise.resolve(probeRedisServer())
    problems.set(service, found)
  }
  return found
}

/**
 * True when every service a suite needs answers. Otherwise registers one test that fails
 * when `CI=true` (CI must run these scenarios) or is skipped with a loud warning.
 */
export async function servicesAvailable(suite: string, needs: Service[]): Promise<boolean> {
  const reasons = (await Promise.all(needs.map(problem))).filter((reason): reason is string => reason !== null)
  if (reasons.length === 0) return true
  const reason = reasons.join('; ')
  if (process.env.CI === 'true') {
    it(`${suite}: the services it needs are available`, () => {
      throw new Error(`${reason}; CI=true requires them`)
    })
  } else {
    console.warn(
      `\n⚠️  SKIPPING ${suite}: ${reason}. Set TASKCAST_TEST_REDIS_URL / TASKCAST_TEST_POSTGRES_URL, start the services, or install redis-server.\n`,
    )
    it.skip(`${suite} (services unavailable)`, () => {})
  }
  return false
}

/** A name part unique to this run (base 36 time + random), safe in keys and SQL identifiers. */
export function runId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
}

/** A Redis key prefix for one scenario run. */
export function keyPrefixFor(scenario: string): string {
  return `taskcast-e2e:${scenario}:${runId()}:`
}

/** A PostgreSQL schema for one scenario run. */
export function schemaFor(scenario: string): string {
  return `taskcast_e2e_${scenario.replace(/[^a-z0-9]/g, '_')}_${runId()}`
}

/** Deletes every key under `prefix` (SCAN, never KEYS) on the Redis at `url`. */
export async function deleteKeysUnder(prefix: string, url = REDIS_URL): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await client.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
}

/** A plain pg client on the shared PostgreSQL, for reading what the servers archived. */
export async function postgresClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  client.on('error', () => {})
  await client.connect()
  return client
}

export async function dropSchema(schema: string): Promise<void> {
  const client = await postgresClient()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}
