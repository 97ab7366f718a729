// The lines a server prints once it listens, for every combination that changes them.
import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../src/config/resolve-config.js'
import type { TaskcastConfig } from '../src/config/config-types.js'
import { createLogger } from '../src/logger.js'
import { listenUrl } from '../src/listen-address.js'
import { logStartup } from '../src/startup-banner.js'
import { exposureWarning, IN_MEMORY_NOTE } from './helpers/banner.js'

async function startupLines(config: TaskcastConfig, address: string): Promise<string[]> {
  const out: string[] = []
  const logger = createLogger({ write: (line) => out.push(line), now: () => new Date('2025-01-01T12:00:00.000Z') })
  logStartup(logger, { config: await resolveConfig(config), address, port: 3721, url: listenUrl(address, 3721), sentry: false })
  return out.map((line) => line.replace('2025-01-01T12:00:00.000Z ', ''))
}

const POSTGRES = { provider: 'postgres', url: 'postgres://db.internal/taskcast' } as const
const REDIS = { provider: 'redis', url: 'redis://cache.internal:6379' } as const

describe('logStartup', () => {
  it('in memory on loopback: the banner and the in-memory note', async () => {
    expect(await startupLines({}, '127.0.0.1')).toEqual([
      'INFO  listening on http://127.0.0.1:3721 version=0.1.0 host=127.0.0.1 port=3721 broadcast=memory shortTerm=memory longTerm=none auth=none sentry=off config=none dashboard=http://127.0.0.1:3721/dashboard',
      `INFO  ${IN_MEMORY_NOTE}`,
    ])
  })

  it('on every interface with auth none: the warning, whether the host was 0.0.0.0 or ::', async () => {
    expect((await startupLines({ host: '0.0.0.0' }, '0.0.0.0')).slice(1)).toEqual([
      `INFO  ${IN_MEMORY_NOTE}`,
      `WARN  ${exposureWarning('every interface (0.0.0.0)')}`,
    ])
    const ipv6 = await startupLines({ host: '::' }, '::')
    expect(ipv6[0]).toMatch(/^INFO {2}listening on http:\/\/\[::\]:3721 version=0\.1\.0 host=:: port=3721 /)
    expect(ipv6[2]).toBe(`WARN  ${exposureWarning('every interface (::)')}`)
  })

  it('auth on: no warning on any address', async () => {
    const jwt = { auth: { jwt: { secret: 'banner-secret-0123456789' } } }
    expect(await startupLines({ ...jwt, host: '0.0.0.0' }, '0.0.0.0')).toHaveLength(2)
    expect(await startupLines({ ...jwt, host: '192.168.1.5' }, '192.168.1.5')).toHaveLength(2)
  })

  it('Redis short-term: no in-memory note, whatever the long-term store', async () => {
    const lines = await startupLines({ adapters: { broadcast: REDIS, shortTerm: REDIS, longTerm: { provider: 'memory' } } }, '127.0.0.1')
    expect(lines).toEqual([expect.stringContaining('INFO  listening on http://127.0.0.1:3721 ')])
  })

  it('Redis Cluster: the seed nodes, passwords masked', async () => {
    const cluster = { provider: 'redis' as const, cluster: ['redis://:hunter2@10.0.0.1:7000', 'rediss://app:hunter2@10.0.0.2:7000'] }
    const [banner, ...rest] = await startupLines({ adapters: { broadcast: REDIS, shortTerm: cluster } }, '127.0.0.1')
    expect(banner).toContain(
      ' broadcast=redis(redis://cache.internal:6379) shortTerm=redis-cluster(redis://:***@10.0.0.1:7000,rediss://app:***@10.0.0.2:7000) longTerm=none ',
    )
    expect(banner).not.toContain('hunter2')
    expect(rest).toEqual([])
  })

  it('memory short-term over PostgreSQL: unfinished tasks are what a restart loses', async () => {
    expect((await startupLines({ adapters: { longTerm: POSTGRES } }, '127.0.0.1'))[1]).toBe(
      'INFO  unfinished tasks are kept in memory and cannot continue after a restart (PostgreSQL keeps what they wrote): to keep them, start with --storage sqlite (kept in taskcast.db, or --db <file>)',
    )
  })
})
