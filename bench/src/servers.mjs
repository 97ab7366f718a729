// Starts the servers under test as child processes on free loopback ports: the real standalone
// Taskcast (packages/cli/dist/bin.js; in memory, on Redis, or on a SQLite file) and the bare reference. Each runs with --expose-gc and the
// bench-only GC preload, and stops with SIGTERM.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from './http-client.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../..')
const preload = join(here, 'gc-preload.mjs')
const STARTUP_TIMEOUT_MS = 20_000

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (probe.address())
      probe.close(() => resolvePort(port))
    })
  })
}

/**
 * A server under test, running as a child process.
 * @typedef {object} Server
 * @property {string} name
 * @property {'taskcast' | 'reference'} kind
 * @property {string} base e.g. `http://127.0.0.1:40123`
 * @property {number} pid
 * @property {string | undefined} keyPrefix Redis key prefix of the run (Redis mode)
 * @property {number} heartbeatMs the SSE heartbeat it was started with
 * @property {() => string} output the last lines the process printed
 * @property {() => Promise<{ rss: number, heapTotal: number, heapUsed: number, external: number, arrayBuffers: number }>} gc
 * @property {() => Promise<void>} stop
 */

/** The standalone server's default SSE heartbeat (and the reference's). */
export const DEFAULT_HEARTBEAT_MS = 15_000

/**
 * @param {{ name: string, kind: 'taskcast' | 'reference', redisUrl?: string, sqlite?: boolean, heartbeatMs?: number }} options
 *   `heartbeatMs`: a shorter SSE heartbeat, so that a short window holds several (the CLI takes it from a config file only).
 * @returns {Promise<Server>}
 */
export async function startServer({ name, kind, redisUrl, sqlite = false, heartbeatMs }) {
  const port = await freePort()
  const cwd = mkdtempSync(join(tmpdir(), 'taskcast-bench-'))
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, TASKCAST_LOG_LEVEL: 'warn' }
  delete env.TASKCAST_REDIS_URL
  delete env.TASKCAST_POSTGRES_URL
  delete env.TASKCAST_STORAGE
  delete env.TASKCAST_SQLITE_PATH
  let args
  let keyPrefix
  if (kind === 'taskcast') {
    args = [join(repo, 'packages/cli/dist/bin.js'), '--port', String(port), '--host', '127.0.0.1']
    const config = {}
    if (redisUrl) {
      keyPrefix = `taskcast-bench-${randomBytes(4).toString('hex')}:`
      config.adapters = {
        broadcast: { provider: 'redis', url: redisUrl, keyPrefix },
        shortTerm: { provider: 'redis', url: redisUrl, keyPrefix, retentionSeconds: 600 },
      }
    }
    if (heartbeatMs) config.sse = { heartbeatMs }
    if (Object.keys(config).length > 0) {
      writeFileSync(join(cwd, 'taskcast.config.json'), JSON.stringify(config))
      args.push('--config', join(cwd, 'taskcast.config.json'))
    }
    // A fresh database file in the run's own directory (removed with it); broadcast stays in memory.
    if (sqlite) args.push('--storage', 'sqlite', '--db', join(cwd, 'taskcast.db'))
  } else {
    args = [join(here, 'reference-server.mjs'), String(port)]
    if (heartbeatMs) env.TASKCAST_BENCH_HEARTBEAT_MS = String(heartbeatMs)
  }
  // TASKCAST_BENCH_PROFILE=<dir>: each server writes a V8 CPU profile there when it stops.
  const profile = process.env.TASKCAST_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.TASKCAST_BENCH_PROFILE] : []
  const child = spawn(process.execPath, ['--expose-gc', ...profile, '--import', preload, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let output = ''
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })))
  const base = `http://127.0.0.1:${port}`

  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start (${child.exitCode}):\n${output}`)
    try {
      const response = await request(base, 'GET', '/health')
      if (response.status === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${name} did not answer /health within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }

  let gcId = 0
  return {
    name,
    kind,
    base,
    pid: child.pid,
    keyPrefix,
    heartbeatMs: heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    output: () => output,
    /** Forces a full GC in the server; resolves its memory figures afterwards. */
    gc() {
      const id = ++gcId
      return new Promise((resolveGc, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no GC answer`)), 10_000)
        const onMessage = (message) => {
          if (message?.type !== 'gc-done' || message.id !== id) return
          clearTimeout(timer)
          child.off('message', onMessage)
          resolveGc(message)
        }
        child.on('message', onMessage)
        child.send({ type: 'gc', id })
      })
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 12_000)
        await exited
        clearTimeout(timer)
      }
      rmSync(cwd, { recursive: true, force: true })
    },
  }
}
