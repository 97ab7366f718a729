// The pieces of configuration on their own: ${VAR} expansion, layer merging, the logger's lines.
import { describe, expect, it } from 'vitest'
import { expandEnv } from '../src/config/expand-env.js'
import { mergeLayers } from '../src/config/merge-layers.js'
import { createLogger } from '../src/logger.js'

describe('expandEnv', () => {
  const env = { HOST: 'db.internal', EMPTY: '', PORT: '5432' }

  it('replaces ${VAR} and ${VAR:-default} inside strings and lists, and leaves keys alone', () => {
    const result = expandEnv(
      { url: 'postgres://${HOST}:${PORT}/x', '${HOST}': 'key', list: ['${MISSING:-a}', '${EMPTY:-b}', '${HOST:-c}'] },
      env,
      'f.yaml',
    )
    expect(result.value).toEqual({ url: 'postgres://db.internal:5432/x', '${HOST}': 'key', list: ['a', 'b', 'db.internal'] })
    expect([...result.expanded]).toEqual(['url', 'list[0]', 'list[1]', 'list[2]'])
    expect([...result.unset]).toEqual([])
  })

  it('drops a key whose whole value is a reference that expands to nothing, and remembers the variable', () => {
    const result = expandEnv({ sentry: { dsn: '${SENTRY_DSN}' }, url: 'redis://${NOPE}:6379' }, env, 'f.yaml')
    expect(result.value).toEqual({ sentry: {}, url: 'redis://:6379' })
    expect([...result.unset]).toEqual([
      ['sentry.dsn', ['SENTRY_DSN']],
      ['url', ['NOPE']],
    ])
  })

  it('reads $${ as a literal ${ and rejects a ${ that is not a reference', () => {
    expect(expandEnv({ secret: 'a$${HOST}b' }, env, 'f.yaml').value).toEqual({ secret: 'a${HOST}b' })
    expect(() => expandEnv({ a: { b: 'x${1BAD}' } }, env, 'f.yaml')).toThrow(
      'f.yaml: a.b has a "${" that is not a ${VAR} or ${VAR:-default} reference (write $${ for a literal ${)',
    )
  })
})

describe('mergeLayers', () => {
  it('merges mappings key by key and replaces lists and scalars', () => {
    expect(
      mergeLayers(
        { port: 1, adapters: { shortTerm: { provider: 'redis', url: 'redis://a', keyPrefix: 'p:' } }, webhook: { allowedHosts: ['a', 'b'] } },
        { adapters: { shortTerm: { url: 'redis://b' } }, webhook: { allowedHosts: ['c'] } },
        { port: 3 },
      ),
    ).toEqual({
      port: 3,
      adapters: { shortTerm: { provider: 'redis', url: 'redis://b', keyPrefix: 'p:' } },
      webhook: { allowedHosts: ['c'] },
    })
  })

  it('lets JWT key material of an upper layer replace the lower one, algorithm included', () => {
    const file = { auth: { mode: 'jwt' as const, jwt: { algorithm: 'RS256' as const, publicKeyFile: '/k.pem', issuer: 'me' } } }
    expect(mergeLayers(file, { auth: { jwt: { secret: 's' } } })).toEqual({ auth: { mode: 'jwt', jwt: { issuer: 'me', secret: 's' } } })
    expect(mergeLayers(file, { auth: { mode: 'none' } })).toEqual({ auth: { ...file.auth, mode: 'none' } })
  })

  it('lets a Redis URL of an upper layer replace cluster seed nodes below it, and the other way round, per adapter', () => {
    const cluster = ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000']
    const file = {
      adapters: {
        broadcast: { provider: 'redis' as const, cluster, keyPrefix: 'p:' },
        shortTerm: { provider: 'redis' as const, url: 'redis://cache:6379', keyPrefix: 'p:' },
      },
    }
    expect(mergeLayers(file, { adapters: { broadcast: { url: 'redis://other:6379' }, shortTerm: { cluster } } })).toEqual({
      adapters: {
        broadcast: { provider: 'redis', url: 'redis://other:6379', keyPrefix: 'p:' },
        shortTerm: { provider: 'redis', cluster, keyPrefix: 'p:' },
      },
    })
    // A layer that names neither leaves the file's choice alone.
    expect(mergeLayers(file, { adapters: { shortTerm: { keyPrefix: 'q:' } } })).toEqual({
      adapters: { ...file.adapters, shortTerm: { ...file.adapters.shortTerm, keyPrefix: 'q:' } },
    })
  })
})

describe('createLogger', () => {
  const at = () => new Date('2025-01-02T03:04:05.678Z')

  it('writes text lines with quoted values where needed, and drops lines under its level', () => {
    const out: string[] = []
    const log = createLogger({ level: 'info', write: (line) => out.push(line), now: at })
    log.debug('hidden')
    log.info('listening on http://x', { auth: 'none', n: 3, text: 'two words', error: Object.assign(new Error('boom'), { code: 'E1' }) })
    log.error('bad')
    expect(out).toEqual([
      '2025-01-02T03:04:05.678Z INFO  listening on http://x auth=none n=3 text="two words" error="E1: boom"',
      '2025-01-02T03:04:05.678Z ERROR bad',
    ])
  })

  it('writes one JSON object per line in json format', () => {
    const out: string[] = []
    const log = createLogger({ level: 'debug', format: 'json', write: (line) => out.push(line), now: at })
    log.debug('GET / 200', { status: 200 })
    expect(out.map((line) => JSON.parse(line))).toEqual([
      { time: '2025-01-02T03:04:05.678Z', level: 'debug', msg: 'GET / 200', status: 200 },
    ])
  })
})
