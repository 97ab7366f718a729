// The README's config example loads and means what it says: each key lands where it should.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load-config.js'
import { rs256KeyPair } from './helpers/jwt.js'
import { tempProject } from './helpers/taskcast-process.js'

const SEED = await readFile(new URL('./fixtures/seed.taskcast.config.yaml', import.meta.url), 'utf8')

async function seedProject(): Promise<{ dir: string; keyFile: string }> {
  const dir = await tempProject({ 'secrets/jwt.pub': rs256KeyPair().publicKeyPem })
  const keyFile = join(dir, 'secrets/jwt.pub')
  await writeFile(join(dir, 'taskcast.config.yaml'), SEED.replace('/run/secrets/jwt.pub', keyFile))
  return { dir, keyFile }
}

describe('the README config example', () => {
  it('resolves to exactly what it says, with its ${VAR}s set', async () => {
    const { dir, keyFile } = await seedProject()
    const env = {
      REDIS_URL: 'redis://cache.internal:6379',
      DATABASE_URL: 'postgres://taskcast:pw@db.internal:5432/taskcast',
      SENTRY_DSN: 'https://key@o1.ingest.sentry.io/7',
    }
    expect(await loadConfig({ cwd: dir, env })).toEqual({
      resolved: true,
      port: 3721,
      host: '127.0.0.1',
      logLevel: 'info',
      logFormat: 'text',
      auth: { mode: 'jwt', jwt: { algorithm: 'RS256', publicKeyFile: keyFile } },
      adapters: {
        broadcast: { provider: 'redis', url: 'redis://cache.internal:6379' },
        shortTerm: { provider: 'redis', url: 'redis://cache.internal:6379' },
        longTerm: { provider: 'postgres', url: 'postgres://taskcast:pw@db.internal:5432/taskcast', autoMigrate: true },
      },
      sentry: { dsn: 'https://key@o1.ingest.sentry.io/7', captureTaskFailures: true, captureTaskTimeouts: true },
      webhook: { defaultRetry: { retries: 3, backoff: 'exponential', initialDelayMs: 1000 } },
      cleanup: {
        rules: [
          { match: { taskTypes: ['llm.*'] }, trigger: { afterMs: 3600000 }, target: 'events' },
          { trigger: { afterMs: 604800000 }, target: 'all' },
        ],
      },
      metrics: { enabled: true },
      dashboard: { enabled: true },
      configFile: 'taskcast.config.yaml',
      warnings: [],
    })
  })

  it('leaves Sentry off when SENTRY_DSN is not set', async () => {
    const { dir } = await seedProject()
    const config = await loadConfig({ cwd: dir, env: { REDIS_URL: 'redis://r:6379', DATABASE_URL: 'postgres://p/db' } })
    expect(config.sentry).toBeUndefined()
  })

  it('says which variable is missing when REDIS_URL is not set', async () => {
    const { dir } = await seedProject()
    await expect(loadConfig({ cwd: dir, env: { DATABASE_URL: 'postgres://p/db' } })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      message:
        'adapters.broadcast.url is required when the provider is redis, unless adapters.broadcast.cluster is given (or set TASKCAST_REDIS_URL or TASKCAST_REDIS_CLUSTER) (${REDIS_URL} is not set)',
    })
  })

  it('TASKCAST_REDIS_URL and TASKCAST_POSTGRES_URL stand in for the file\'s variables', async () => {
    const { dir } = await seedProject()
    const config = await loadConfig({
      cwd: dir,
      env: { TASKCAST_REDIS_URL: 'redis://env:6379', TASKCAST_POSTGRES_URL: 'postgres://env/db' },
    })
    expect(config.adapters).toEqual({
      broadcast: { provider: 'redis', url: 'redis://env:6379' },
      shortTerm: { provider: 'redis', url: 'redis://env:6379' },
      longTerm: { provider: 'postgres', url: 'postgres://env/db', autoMigrate: true },
    })
  })
})
