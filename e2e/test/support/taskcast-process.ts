// Real `taskcast` processes (packages/cli/dist/bin.js), started from a JSON config file on
// a port of the kernel's choosing, read back from the `listening on <url>` banner.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { BIN, GC_PRELOAD } from './paths.js'

/** Where a Redis adapter connects: one Redis, or the seed nodes of a Redis Cluster. */
export type RedisAddress = { url: string } | { cluster: string[] }

/** The subset of the CLI's config file the scenarios use (see packages/cli/README.md). */
export interface TaskcastConfig {
  logLevel?: 'debug' | 'info' | 'warn' | 'error'
  auth?: { mode: 'jwt'; jwt: { secret: string } }
  adapters: {
    broadcast: { provider: 'redis'; keyPrefix: string } & RedisAddress
    shortTerm: { provider: 'redis'; keyPrefix: string } & RedisAddress
    longTerm?: { provider: 'postgres'; url: string; schema: string; autoMigrate?: boolean }
  }
}

/** One process on a SQLite file (SPEC §20): broadcast in memory. */
export interface SqliteTaskcastConfig {
  logLevel?: TaskcastConfig['logLevel']
  adapters: { shortTerm: { provider: 'sqlite'; path: string }; longTerm?: { provider: 'sqlite'; path: string } }
}

export interface StartOptions {
  /** More command-line arguments, after the usual ones (a later `--port` wins over `--port 0`). */
  args?: string[]
  /**
   * Lets the test force a full GC in the process and read its memory afterwards (`memory()`),
   * through the benchmark's preload: what the process holds, not what it has yet to collect.
   */
  measureMemory?: boolean
}

/** A process's memory after a forced full GC, in bytes. */
export interface MemoryReading {
  rss: number
  heapUsed: number
  /** Memory of C++ objects bound to JavaScript ones (Buffers among them). */
  external: number
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

// Printed at info level (the default here); per-request lines are debug, so the output stays small.
const LISTENING = /listening on (http:\/\/\S+)/
const OUTPUT_KEPT = 64 * 1024

const running = new Set<TaskcastServer>()
const tempDirs: string[] = []

afterAll(async () => {
  await Promise.all([...running].map((server) => server.kill()))
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** process.env without the variables the CLI reads, so the runner's settings never leak in. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('TASKCAST_') || key === 'SENTRY_DSN') continue
    env[key] = value
  }
  return env
}

export class TaskcastServer {
  /** `http://127.0.0.1:<port>` */
  url = ''
  readonly exited: Promise<Exit>
  private output = ''
  private readings = 0

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: string) => {
      this.output = (this.output + chunk).slice(-OUTPUT_KEPT)
    }
    child.stdout!.setEncoding('utf8').on('data', keep)
    child.stderr!.setEncoding('utf8').on('data', keep)
    this.exited = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        running.delete(this)
        resolve({ code, signal })
      }),
    )
  }

  /**
   * Starts `taskcast --port 0 --host 127.0.0.1 -c <config.json> [args]` and resolves once it listens.
   * `name` only labels its output in failure messages.
   */
  static async start(name: string, config: TaskcastConfig | SqliteTaskcastConfig, options: StartOptions = {}): Promise<TaskcastServer> {
    const dir = await mkdtemp(join(tmpdir(), 'taskcast-e2e-'))
    tempDirs.push(dir)
    const file = join(dir, 'taskcast.config.json')
    await writeFile(file, JSON.stringify({ logLevel: 'info', ...config }, null, 2))
    const nodeArgs = options.measureMemory ? ['--expose-gc', '--import', GC_PRELOAD] : []
    const child = spawn(process.execPath, [...nodeArgs, BIN, '--port', '0', '--host', '127.0.0.1', '-c', file, ...(options.args ?? [])], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe', ...(options.measureMemory ? (['ipc'] as const) : [])],
    })
    const server = new TaskcastServer(name, child)
    running.add(server)
    server.url = await new Promise<string>((resolve, reject) => {
      const onData = () => {
        const match = LISTENING.exec(server.output)
        if (match) {
          child.stdout!.off('data', onData)
          resolve(match[1]!)
        }
      }
      child.stdout!.on('data', onData)
      void server.exited.then(({ code, signal }) =>
        reject(new Error(`taskcast ${name} exited (code ${code}, signal ${signal}) before listening:\n${server.output}`)),
      )
    })
    return server
  }

  /** Memory after a forced full GC; only for a process started with `measureMemory`. */
  memory(): Promise<MemoryReading> {
    const id = ++this.readings
    return new Promise((resolve, reject) => {
      const onMessage = (message: { type?: string; id?: number } & MemoryReading) => {
        if (message?.type !== 'gc-done' || message.id !== id) return
        this.child.off('message', onMessage)
        resolve({ rss: message.rss, heapUsed: message.heapUsed, external: message.external })
      }
      this.child.on('message', onMessage)
      if (!this.child.send?.({ type: 'gc', id })) reject(new Error(`taskcast ${this.name} was not started with measureMemory`))
    })
  }

  get pid(): number {
    return this.child.pid!
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** The last 64 KiB of what the process printed (stdout and stderr interleaved). */
  get log(): string {
    return this.output
  }

  /** Kills the process at once (SIGKILL), as a crash would; resolves when it is gone. */
  async kill(): Promise<Exit> {
    if (this.alive) this.child.kill('SIGKILL')
    return this.exited
  }

  /** Graceful stop (SIGTERM: streams closed cleanly, long-term writes flushed). */
  async stop(): Promise<Exit> {
    if (this.alive) this.child.kill('SIGTERM')
    return this.exited
  }
}
