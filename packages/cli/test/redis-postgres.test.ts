// Redis and PostgreSQL adapters built from URLs, the README's config file on real services,
// two processes sharing Redis, and `taskcast migrate`.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MIGRATIONS, PostgresLongTermStore } from '@taskcast/postgres'
import { RedisShortTermStore } from '@taskcast/redis'
import { afterAll, describe, expect, it } from 'vitest'
import { api, roundTrip, SseStream } from './helpers/http.js'
import { bearer, rs256KeyPair, signRs256 } from './helpers/jwt.js'
import { dropSchemas, POSTGRES_URL, REDIS_URL, runId, servicesAvailable } from './helpers/services.js'
import { lines, runTaskcast, spawnTaskcast, tempProject } from './helpers/taskcast-process.js'

const schemas: string[] = []
const cleanups: (() => Promise<unknown>)[] = []

function isolation(): { keyPrefix: string; schema: string } {
  const id = runId()
  const schema = `taskcast_cli_${id}`
  schemas.push(schema)
  return { keyPrefix: `taskcast-test:cli:${id}:`, schema }
}

/** Removes a task's Redis keys after the test (they carry the run's prefix). */
function forget(keyPrefix: string, taskId: string): void {
  cleanups.push(async () => {
    const store = new RedisShortTermStore({ url: REDIS_URL, keyPrefix })
    await store.deleteTask(taskId)
    await store.close()
  })
}

afterAll(async () => {
  await Promise.allSettled(cleanups.map((cleanup) => cleanup()))
  await dropSchemas(schemas)
})

const LOOPBACK = ['-p', '0', '--host', '127.0.0.1']

describe.runIf(servicesAvailable('cli with Redis and PostgreSQL'))('Redis and PostgreSQL adapters', () => {
  it('keeps tasks in Redis and archives them in PostgreSQL, built from TASKCAST_REDIS_URL and TASKCAST_POSTGRES_URL', async () => {
    const { keyPrefix, schema } = isolation()
    const dir = await tempProject({
      'taskcast.config.yaml': `adapters:\n  broadcast: { keyPrefix: "${keyPrefix}" }\n  shortTerm: { keyPrefix: "${keyPrefix}" }\n  longTerm: { schema: ${schema} }\n`,
    })
    const proc = spawnTaskcast({
      cwd: dir,
      args: LOOPBACK,
      env: { TASKCAST_REDIS_URL: REDIS_URL, TASKCAST_POSTGRES_URL: POSTGRES_URL },
    })
    const url = await proc.listening
    const startup = lines(proc.stdout()).map((line) => line.replace(/^\S+ /, ''))
    expect(startup[0]).toBe(`INFO  applied PostgreSQL migrations migrations=${MIGRATIONS.map((m) => `${m.version}-${m.name}`).join(',')}`)
    expect(startup[1]).toContain(`broadcast=redis(${REDIS_URL}) shortTerm=redis(${REDIS_URL}) longTerm=postgres(${POSTGRES_URL})`)

    const taskId = await roundTrip(url)
    forget(keyPrefix, taskId)
    const redis = new RedisShortTermStore({ url: REDIS_URL, keyPrefix })
    expect((await redis.getTask(taskId))?.status).toBe('completed')
    await redis.close()

    expect((await proc.stop()).code).toBe(0)
    // The archive is complete once the process has exited: shutdown flushed it.
    const archive = new PostgresLongTermStore({ url: POSTGRES_URL, schema })
    try {
      expect((await archive.getTask(taskId))?.status).toBe('completed')
      expect((await archive.getEvents(taskId)).map((e) => `${e.index} ${e.type}`)).toEqual([
        '0 taskcast:status',
        '1 llm.delta',
        '2 llm.delta',
        '3 taskcast:status',
      ])
    } finally {
      await archive.close()
    }
  })

  it('runs the README config file on real services (RS256 key file, Redis, PostgreSQL)', async () => {
    const { keyPrefix, schema } = isolation()
    const { privateKey, publicKeyPem } = rs256KeyPair()
    const dir = await tempProject({ 'secrets/jwt.pub': publicKeyPem })
    // The example as printed, plus this run's keyPrefix and schema so runs never share data.
    const seed = (await readFile(new URL('./fixtures/seed.taskcast.config.yaml', import.meta.url), 'utf8'))
      .replace('/run/secrets/jwt.pub', join(dir, 'secrets/jwt.pub'))
      .replaceAll('    url: ${REDIS_URL}\n', '    url: ${REDIS_URL}\n    keyPrefix: ${KEY_PREFIX}\n')
      .replace('    url: ${DATABASE_URL}\n', '    url: ${DATABASE_URL}\n    schema: ${PG_SCHEMA}\n')
    await writeFile(join(dir, 'taskcast.config.yaml'), seed)

    const proc = spawnTaskcast({
      cwd: dir,
      args: LOOPBACK,
      env: { REDIS_URL, DATABASE_URL: POSTGRES_URL, KEY_PREFIX: keyPrefix, PG_SCHEMA: schema },
    })
    const url = await proc.listening
    expect(proc.stdout()).toContain(
      `broadcast=redis(${REDIS_URL}) shortTerm=redis(${REDIS_URL}) longTerm=postgres(${POSTGRES_URL}) auth=jwt sentry=off config=taskcast.config.yaml`,
    )
    expect((await api(url, 'POST', '/tasks', {})).status).toBe(401)
    const taskId = await roundTrip(url, bearer(signRs256(privateKey)))
    forget(keyPrefix, taskId)
    expect((await proc.stop()).code).toBe(0)
    expect(proc.stderr()).toBe('')
  })

  it('two processes sharing Redis behave as one service', async () => {
    const { keyPrefix } = isolation()
    const env = { TASKCAST_REDIS_URL: REDIS_URL }
    const dir = await tempProject({
      'taskcast.config.json': JSON.stringify({ adapters: { broadcast: { keyPrefix }, shortTerm: { keyPrefix } } }),
    })
    const a = spawnTaskcast({ cwd: dir, args: LOOPBACK, env })
    const b = spawnTaskcast({ cwd: dir, args: LOOPBACK, env })
    const [urlA, urlB] = await Promise.all([a.listening, b.listening])

    const task = await api(urlA, 'POST', '/tasks', { type: 'shared' })
    forget(keyPrefix, task.body.id)
    await api(urlA, 'PATCH', `/tasks/${task.body.id}/status`, { status: 'running' })
    const onB = await SseStream.open(`${urlB}/tasks/${task.body.id}/events?includeStatus=false`)
    await api(urlA, 'POST', `/tasks/${task.body.id}/events`, { type: 'step', data: 1 })
    await api(urlA, 'POST', `/tasks/${task.body.id}/events`, { type: 'step', data: 2 })
    await api(urlA, 'PATCH', `/tasks/${task.body.id}/status`, { status: 'completed' })
    expect((await onB.rest()).map((frame) => frame.data)).toEqual([
      expect.stringContaining('"data":1'),
      expect.stringContaining('"data":2'),
      '{"reason":"completed"}',
    ])
    expect((await a.stop()).code).toBe(0)
    expect((await b.stop()).code).toBe(0)
  })

  it('`taskcast migrate` applies the migrations once, then reports the schema up to date', async () => {
    const { schema } = isolation()
    const args = ['migrate', '--url', POSTGRES_URL, '--schema', schema]
    const where = `${POSTGRES_URL} (schema ${schema}, table prefix taskcast_)`
    const first = await runTaskcast({ args })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(lines(first.stdout)).toEqual([
      ...MIGRATIONS.map((m) => `applied ${String(m.version).padStart(4, '0')}-${m.name}`),
      `${MIGRATIONS.length} migration${MIGRATIONS.length === 1 ? '' : 's'} applied to ${where}`,
    ])
    const second = await runTaskcast({ args })
    expect(second.code).toBe(0)
    expect(second.stdout).toBe(`up to date: ${where}\n`)
  })
})

describe('taskcast migrate without a database', () => {
  it('says what to configure when no PostgreSQL is set', async () => {
    const result = await runTaskcast({ args: ['migrate'], cwd: await tempProject() })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'taskcast: adapters.longTerm is not a PostgreSQL store: pass --url, set TASKCAST_POSTGRES_URL, or configure adapters.longTerm (provider: postgres, url) in the config file\n',
    )
  })

  it('names the address when PostgreSQL is unreachable', async () => {
    const result = await runTaskcast({ args: ['migrate', '--url', 'postgres://postgres:pw@127.0.0.1:1/test'] })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('taskcast: cannot reach PostgreSQL at postgres://postgres:***@127.0.0.1:1/test: connect ECONNREFUSED 127.0.0.1:1\n')
  })
})
