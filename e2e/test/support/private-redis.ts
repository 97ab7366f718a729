// A redis-server of the scenario's own, which it may crash and restart without disturbing
// the shared Redis other suites use. It keeps an append-only file fsynced on every write,
// so a restart (even after SIGKILL) comes back with every acknowledged write, as a
// production Redis configured for durability would.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export class PrivateRedis {
  private process: ChildProcess | undefined

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort(), await mkdtemp(join(tmpdir(), 'taskcast-e2e-redis-')))
    await server.start()
    return server
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  get running(): boolean {
    return this.process !== undefined
  }

  /** Starts the server (again, on the same port and data directory); resolves once it answers PING. */
  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port', String(this.port),
        '--bind', '127.0.0.1',
        '--dir', this.dir,
        '--save', '',
        '--appendonly', 'yes',
        '--appendfsync', 'always',
        '--daemonize', 'no',
      ],
      { stdio: 'ignore' },
    )
    this.process = child
    const failed = new Promise<never>((_, reject) => {
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)))
    })
    // ioredis retries until the server listens (and has loaded its AOF: LOADING replies are retried too).
    const client = new Redis(this.url, { retryStrategy: () => 20, maxRetriesPerRequest: null })
    client.on('error', () => {})
    try {
      await Promise.race([client.ping(), failed])
    } finally {
      client.disconnect()
    }
    failed.catch(() => undefined)
  }

  /** Kills the server abruptly (SIGKILL), as a crash would. */
  async crash(): Promise<void> {
    const child = this.process
    if (!child || child.exitCode !== null) return
    this.process = undefined
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }

  /** Stops the server for good and removes its data directory. */
  async destroy(): Promise<void> {
    await this.crash()
    await rm(this.dir, { recursive: true, force: true })
  }
}
