// Test access to Redis: reachability (skip loudly, or fail under CI), per-run key
// prefixes, cleanup, and private redis-server processes for restart tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { it } from 'vitest'

export const REDIS_URL = process.env.TASKCAST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const IN_CI = process.env.CI === 'true'

async function probe(url: string): Promise<string | null> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
    return null
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    client.disconnect()
  }
}

const unreachable = await probe(REDIS_URL)

/** True when the tests can run; otherwise registers a test that fails under CI or is skipped loudly. */
export function redisAvailable(suite: string): boolean {
  if (unreachable === null) return true
  const reason = `Redis at ${REDIS_URL} is unreachable (${unreachable})`
  if (IN_CI) {
    it(`${suite}: Redis is reachable`, () => {
      throw new Error(`${reason}; CI=true requires it`)
    })
  } else {
    console.warn(`\n⚠️  SKIPPING ${suite}: ${reason}. Set TASKCAST_TEST_REDIS_URL or start Redis.\n`)
    it.skip(`${suite} (Redis unreachable)`, () => {})
  }
  return false
}

/** A key prefix unique to this run, so parallel runs never see each other's keys. */
export function runPrefix(label: string): string {
  return `taskcast-test:${label}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:`
}

/** A plain connection for inspecting Redis from the outside. */
export function adminClient(url = REDIS_URL): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 })
}

/** Every key under `prefix` (SCAN, never KEYS). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    keys.push(...batch)
    cursor = next
  } while (cursor !== '0')
  return keys
}

/** Deletes every key of a run. */
export async function deleteKeysUnder(prefix: string): Promise<void> {
  const client = adminClient()
  try {
    const keys = await keysUnder(client, prefix)
    for (let i = 0; i < keys.length; i += 500) await client.unlink(...keys.slice(i, i + 500))
  } finally {
    client.disconnect()
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/**
 * A redis-server of the test's own on a free loopback port, which the test may stop and
 * start again (on the same port) without disturbing anyone else's Redis.
 */
export class PrivateRedis {
  private process: ChildProcess | undefined

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
    private readonly dir: string,
  ) {}

  /** Starts a server; `extraArgs` are added to its command line (e.g. cluster mode). */
  static async start(extraArgs: string[] = []): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort(), extraArgs, await mkdtemp(join(tmpdir(), 'taskcast-redis-')))
    await server.start()
    return server
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.extraArgs],
      { stdio: 'ignore' },
    )
    this.process = child
    const failed = new Promise<never>((_, reject) => {
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)))
    })
    // ioredis retries until the server listens; the PING waits in its offline queue meanwhile.
    const client = new Redis(this.url, { retryStrategy: () => 20, maxRetriesPerRequest: null })
    client.on('error', () => {})
    try {
      await Promise.race([client.ping(), failed])
    } finally {
      client.disconnect()
    }
  }

  /** Kills the server abruptly, as a crash would. */
  async stop(): Promise<void> {
    const child = this.process
    if (!child || child.exitCode !== null) return
    this.process = undefined
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }

  /** Stops the server for good and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop()
    await rm(this.dir, { recursive: true, force: true })
  }
}

let privateRedisProblem: string | null | undefined

/**
 * True when the tests can start redis-server processes of their own (restart tests
 * need them); otherwise registers a test that fails under CI or is skipped loudly.
 */
export async function privateRedisAvailable(suite: string): Promise<boolean> {
  if (privateRedisProblem === undefined) {
    try {
      const server = await PrivateRedis.start()
      await server.destroy()
      privateRedisProblem = null
    } catch (error) {
      privateRedisProblem = error instanceof Error ? error.message : String(error)
    }
  }
  if (privateRedisProblem === null) return true
  const reason = `cannot start redis-server (${privateRedisProblem})`
  if (IN_CI) {
    it(`${suite}: redis-server can be started`, () => {
      throw new Error(`${reason}; CI=true requires it`)
    })
  } else {
    console.warn(`\n⚠️  SKIPPING ${suite}: ${reason}. Install redis-server to run it.\n`)
    it.skip(`${suite} (no redis-server)`, () => {})
  }
  return false
}

/** A private redis-server in cluster mode owning every slot: cluster rules (CROSSSLOT) on one node. */
export async function startSingleNodeCluster(): Promise<PrivateRedis> {
  const server = await PrivateRedis.start(['--cluster-enabled', 'yes', '--cluster-announce-ip', '127.0.0.1'])
  const admin = new Redis(server.url)
  try {
    await admin.cluster('ADDSLOTSRANGE', 0, 16383)
    // The node announces the state change on its own schedule and offers no event for it.
    for (let attempt = 0; ; attempt++) {
      const info = (await admin.cluster('INFO')) as string
      if (info.includes('cluster_state:ok')) break
      if (attempt === 500) throw new Error('the single-node cluster never became ready')
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  } finally {
    admin.disconnect()
  }
  return server
}
