// Where the server listens: loopback by default, every interface only when asked, a warning when
// that means anyone on the network can use it, and a banner that names the address it bound.
import { describe, expect, it } from 'vitest'
import { exposureWarning, IN_MEMORY_NOTE, memoryBanner } from './helpers/banner.js'
import { api } from './helpers/http.js'
import { bearer, signHs256 } from './helpers/jwt.js'
import { LAN_ADDRESS, lanAddressAvailable } from './helpers/network.js'
import { lines, spawnTaskcast, tempProject, withoutTime, type TaskcastProcess } from './helpers/taskcast-process.js'

const SHUTDOWN = ['INFO  received SIGTERM: shutting down', 'INFO  taskcast stopped']

/** Stops the process and returns every line it printed, timestamps removed. */
async function stoppedOutput(proc: TaskcastProcess): Promise<string[]> {
  expect((await proc.stop()).code).toBe(0)
  expect(proc.stderr()).toBe('')
  return lines(proc.stdout()).map(withoutTime)
}

const healthAt = (host: string, port: string) => fetch(`http://${host}:${port}/health`)

describe('the listening address', () => {
  it('is 127.0.0.1 by default, with the in-memory note and no warning', async () => {
    const proc = spawnTaskcast({ args: ['-p', '0'] })
    const url = await proc.listening
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await api(url, 'GET', '/health')).status).toBe(200)
    expect(await stoppedOutput(proc)).toEqual([memoryBanner(url, '127.0.0.1'), `INFO  ${IN_MEMORY_NOTE}`, ...SHUTDOWN])
  })

  it('is the address `localhost` resolves to, with host=localhost and no warning', async () => {
    const proc = spawnTaskcast({ args: ['-p', '0', '--host', 'localhost'] })
    const url = await proc.listening
    expect(url).toMatch(/^http:\/\/(127\.0\.0\.1|\[::1\]):\d+$/)
    expect(await stoppedOutput(proc)).toEqual([memoryBanner(url, 'localhost'), `INFO  ${IN_MEMORY_NOTE}`, ...SHUTDOWN])
  })

  it('is every interface with --host 0.0.0.0: the banner says 0.0.0.0 and auth none is warned about', async () => {
    const proc = spawnTaskcast({ args: ['-p', '0', '--host', '0.0.0.0'] })
    const url = await proc.listening
    expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/)
    expect((await healthAt('127.0.0.1', new URL(url).port)).status).toBe(200)
    expect(await stoppedOutput(proc)).toEqual([
      memoryBanner(url, '0.0.0.0'),
      `INFO  ${IN_MEMORY_NOTE}`,
      `WARN  ${exposureWarning('every interface (0.0.0.0)')}`,
      ...SHUTDOWN,
    ])
  })

  it('comes from the config file `host`, and warns the same way', async () => {
    const dir = await tempProject({ 'taskcast.config.yaml': 'port: 0\nhost: 0.0.0.0\n' })
    const proc = spawnTaskcast({ cwd: dir })
    const url = await proc.listening
    const output = await stoppedOutput(proc)
    expect(output[0]).toBe(memoryBanner(url, '0.0.0.0').replace('config=none', 'config=taskcast.config.yaml'))
    expect(output.slice(1, 3)).toEqual([`INFO  ${IN_MEMORY_NOTE}`, `WARN  ${exposureWarning('every interface (0.0.0.0)')}`])
  })

  it('is not warned about on every interface when auth is on (TASKCAST_HOST with TASKCAST_JWT_SECRET)', async () => {
    const secret = 'host-test-secret-0123456789'
    const proc = spawnTaskcast({ args: ['-p', '0'], env: { TASKCAST_HOST: '0.0.0.0', TASKCAST_JWT_SECRET: secret } })
    const url = await proc.listening
    expect((await api(url.replace('0.0.0.0', '127.0.0.1'), 'POST', '/tasks', {})).status).toBe(401)
    expect((await api(url.replace('0.0.0.0', '127.0.0.1'), 'POST', '/tasks', {}, bearer(signHs256(secret)))).status).toBe(201)
    expect(await stoppedOutput(proc)).toEqual([memoryBanner(url, '0.0.0.0', 'jwt'), `INFO  ${IN_MEMORY_NOTE}`, ...SHUTDOWN])
  })
})

describe('who can reach it, over this machine\'s other address', () => {
  if (!lanAddressAvailable('reachability over a non-loopback address')) return
  const lan = LAN_ADDRESS!

  it('the default (loopback) refuses connections there', async () => {
    const proc = spawnTaskcast({ args: ['-p', '0'] })
    const { port } = new URL(await proc.listening)
    await expect(healthAt(lan, port)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } })
    expect((await proc.stop()).code).toBe(0)
  })

  it('--host 0.0.0.0 answers there', async () => {
    const proc = spawnTaskcast({ args: ['-p', '0', '--host', '0.0.0.0'] })
    const { port } = new URL(await proc.listening)
    expect((await healthAt(lan, port)).status).toBe(200)
    expect((await proc.stop()).code).toBe(0)
  })

  it('--host <that address> is served with auth none under a warning that names it', async () => {
    const proc = spawnTaskcast({ args: ['-p', '0', '--host', lan] })
    const url = await proc.listening
    expect(url).toMatch(new RegExp(`^http://${lan.replaceAll('.', '\\.')}:\\d+$`))
    expect((await healthAt(lan, new URL(url).port)).status).toBe(200)
    expect(await stoppedOutput(proc)).toEqual([
      memoryBanner(url, lan),
      `INFO  ${IN_MEMORY_NOTE}`,
      `WARN  ${exposureWarning(lan)}`,
      ...SHUTDOWN,
    ])
  })
})
