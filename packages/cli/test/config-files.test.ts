// Every config file format, discovered in the working directory or named with -c, run by the real binary.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { api, roundTrip } from './helpers/http.js'
import { bearer, signHs256 } from './helpers/jwt.js'
import { freePort, spawnTaskcast, tempProject } from './helpers/taskcast-process.js'

const SECRET = 'file-secret-0123456789'

/** Starts the binary in `dir`, checks the banner, that auth is on, and runs the round trip with a token. */
async function expectJwtServerOn(dir: string, port: number, configName: string, args: string[] = [], env: Record<string, string> = {}) {
  const proc = spawnTaskcast({ cwd: dir, args, env })
  const url = await proc.listening
  expect(url).toBe(`http://127.0.0.1:${port}`)
  expect(proc.stdout()).toContain(`auth=jwt sentry=off config=${configName}`)
  expect((await api(url, 'POST', '/tasks', {})).status).toBe(401)
  await roundTrip(url, bearer(signHs256(SECRET)))
  expect((await proc.stop()).code).toBe(0)
  expect(proc.stderr()).toBe('')
}

describe('config files', () => {
  it('reads taskcast.config.ts, TypeScript syntax included', async () => {
    const port = await freePort()
    const dir = await tempProject({
      'taskcast.config.ts': `
        interface Listen { port: number; host: string }
        const listen: Listen = { port: ${port}, host: '127.0.0.1' }
        const mode = 'jwt' as const
        export default { ...listen, auth: { mode, jwt: { secret: '${SECRET}' } } } satisfies Record<string, unknown>
      `,
    })
    await expectJwtServerOn(dir, port, 'taskcast.config.ts')
  })

  it('reads an ES module taskcast.config.js', async () => {
    const port = await freePort()
    const dir = await tempProject({
      'package.json': '{ "type": "module" }',
      'taskcast.config.js': `export default { port: ${port}, host: '127.0.0.1', auth: { jwt: { secret: '${SECRET}' } } }`,
    })
    // No auth.mode: a configured secret switches jwt on.
    await expectJwtServerOn(dir, port, 'taskcast.config.js')
  })

  it('reads a CommonJS taskcast.config.js (module.exports)', async () => {
    const port = await freePort()
    const dir = await tempProject({
      'taskcast.config.js': `module.exports = { port: ${port}, host: '127.0.0.1', auth: { mode: 'jwt', jwt: { secret: '${SECRET}' } } }`,
    })
    await expectJwtServerOn(dir, port, 'taskcast.config.js')
  })

  it('reads taskcast.config.mjs exporting an async function', async () => {
    const port = await freePort()
    const dir = await tempProject({
      'taskcast.config.mjs': `export default async () => ({ port: ${port}, host: '127.0.0.1', auth: { mode: 'jwt', jwt: { secret: process.env.MY_SECRET } } })`,
    })
    await expectJwtServerOn(dir, port, 'taskcast.config.mjs', [], { MY_SECRET: SECRET })
  })

  it('reads taskcast.config.yaml, expanding ${VAR} and ${VAR:-default} (numbers included)', async () => {
    const port = await freePort()
    const dir = await tempProject({
      'taskcast.config.yaml': [
        'port: ${MY_PORT}',
        'host: ${MY_HOST:-127.0.0.1}',
        'auth:',
        '  mode: jwt',
        '  jwt:',
        '    secret: ${MY_SECRET}',
        'sentry:',
        '  dsn: ${SENTRY_DSN}',
      ].join('\n'),
    })
    // SENTRY_DSN is unset: a value that is exactly one unset reference counts as absent (sentry=off).
    await expectJwtServerOn(dir, port, 'taskcast.config.yaml', [], { MY_PORT: String(port), MY_SECRET: SECRET })
  })

  it('reads taskcast.config.yml', async () => {
    const port = await freePort()
    const dir = await tempProject({
      'taskcast.config.yml': `port: ${port}\nhost: 127.0.0.1\nauth:\n  mode: jwt\n  jwt: { algorithm: HS256, secret: "${SECRET}" }\n`,
    })
    await expectJwtServerOn(dir, port, 'taskcast.config.yml')
  })

  it('reads taskcast.config.json, expanding variables', async () => {
    const port = await freePort()
    const dir = await tempProject({
      'taskcast.config.json': JSON.stringify({
        port: '${MY_PORT:-1}',
        host: '127.0.0.1',
        auth: { mode: 'jwt', jwt: { secret: 'file-${PART}-0123456789' } },
      }),
    })
    await expectJwtServerOn(dir, port, 'taskcast.config.json', [], { MY_PORT: String(port), PART: 'secret' })
  })

  it('discovers .ts > .js > .mjs > .yaml > .yml > .json', async () => {
    const names = ['ts', 'js', 'mjs', 'yaml', 'yml', 'json'].map((ext) => `taskcast.config.${ext}`)
    const ports = await Promise.all(names.map(() => freePort()))
    const content = (name: string, port: number) =>
      name.endsWith('.json')
        ? JSON.stringify({ port, host: '127.0.0.1' })
        : /\.ya?ml$/.test(name)
          ? `port: ${port}\nhost: 127.0.0.1\n`
          : `export default { port: ${port}, host: '127.0.0.1' }`
    const dir = await tempProject({
      'package.json': '{ "type": "module" }',
      ...Object.fromEntries(names.map((name, i) => [name, content(name, ports[i]!)])),
    })
    const winners: string[] = []
    for (const name of names) {
      const proc = spawnTaskcast({ cwd: dir })
      const url = await proc.listening
      winners.push(`${/config=(\S+)/.exec(proc.stdout())![1]} ${url}`)
      await proc.stop()
      await rm(join(dir, name))
    }
    expect(winners).toEqual(names.map((name, i) => `${name} http://127.0.0.1:${ports[i]}`))
  })

  it('-c names a file anywhere, and discovery is then skipped', async () => {
    const [filePort, discoveredPort] = [await freePort(), await freePort()]
    const dir = await tempProject({
      'taskcast.config.yaml': `port: ${discoveredPort}\nhost: 127.0.0.1\n`,
      'deploy/production.json': JSON.stringify({ port: filePort, host: '127.0.0.1' }),
    })
    const proc = spawnTaskcast({ cwd: dir, args: ['-c', 'deploy/production.json'] })
    expect(await proc.listening).toBe(`http://127.0.0.1:${filePort}`)
    expect(proc.stdout()).toContain('config=deploy/production.json')
    expect((await proc.stop()).code).toBe(0)
  })

  it('with no config file at all, runs in memory with auth none', async () => {
    const dir = await tempProject()
    const proc = spawnTaskcast({ cwd: dir, args: ['-p', '0', '--host', '127.0.0.1'] })
    const url = await proc.listening
    expect(proc.stdout()).toContain('broadcast=memory shortTerm=memory longTerm=none auth=none sentry=off config=none')
    await roundTrip(url)
    expect((await proc.stop()).code).toBe(0)
  })
})
