// Runs the programs under examples/ (and the taskcast binary they talk to) as child processes,
// the way a user runs them: real processes, real loopback sockets, ports chosen by the kernel
// and read back from each program's "listening on <url>" line.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { BIN, REPO_DIR } from './paths.js'

export const EXAMPLES_DIR = join(REPO_DIR, 'examples')

const LISTENING = /listening on (http:\/\/\S+)/
const OUTPUT_KEPT = 256 * 1024

const running = new Set<ExampleProcess>()
const tempDirs: string[] = []

afterAll(async () => {
  await Promise.all([...running].map((child) => child.kill()))
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** process.env without the variables the examples and the CLI read, so the runner's never leak in. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('TASKCAST_') || key === 'SENTRY_DSN') continue
    if (['PORT', 'HOST', 'WEBHOOK_SECRET', 'WORD_DELAY_MS', 'DELTA_DELAY_MS'].includes(key)) continue
    env[key] = value
  }
  return { ...env, ...extra }
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface StartOptions {
  /** Labels the process in failure messages. */
  name: string
  cwd: string
  /** Arguments after `node`. */
  args: string[]
  env?: Record<string, string>
}

export class ExampleProcess {
  stdout = ''
  stderr = ''
  readonly exited: Promise<Exit>
  private readonly waiters = new Set<() => void>()

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const grow = (which: 'stdout' | 'stderr') => (chunk: string) => {
      this[which] = (this[which] + chunk).slice(-OUTPUT_KEPT)
      for (const check of [...this.waiters]) check()
    }
    child.stdout!.setEncoding('utf8').on('data', grow('stdout'))
    child.stderr!.setEncoding('utf8').on('data', grow('stderr'))
    this.exited = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        running.delete(this)
        for (const check of [...this.waiters]) check()
        resolve({ code, signal })
      }),
    )
  }

  static start({ name, cwd, args, env = {} }: StartOptions): ExampleProcess {
    const child = spawn(process.execPath, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    const started = new ExampleProcess(name, child)
    running.add(started)
    return started
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** What the process printed, for failure messages. */
  describe(): string {
    return `--- ${this.name} stdout ---\n${this.stdout}\n--- ${this.name} stderr ---\n${this.stderr}`
  }

  /**
   * Resolves with the first match of `pattern` in stdout, as soon as it appears. Rejects when the
   * process exits without printing it, or after `timeoutMs` (a bound, not a synchronisation).
   */
  waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms\n${this.describe()}`)), timeoutMs)
      const finish = (result: RegExpExecArray | Error) => {
        clearTimeout(timer)
        this.waiters.delete(check)
        if (result instanceof Error) reject(result)
        else resolve(result)
      }
      const check = () => {
        const match = pattern.exec(this.stdout)
        if (match) finish(match)
        else if (!this.alive) finish(new Error(`${this.name} exited before printing ${pattern}\n${this.describe()}`))
      }
      this.waiters.add(check)
      check()
    })
  }

  /** The URL of the program's "listening on <url>" line. */
  async listening(timeoutMs?: number): Promise<string> {
    return (await this.waitForOutput(LISTENING, timeoutMs))[1]!
  }

  /** Resolves with the exit status; rejects if the process is still running after `timeoutMs`. */
  async exit(timeoutMs = 20_000): Promise<Exit> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} still running after ${timeoutMs} ms\n${this.describe()}`)), timeoutMs)
    })
    try {
      return await Promise.race([this.exited, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** SIGTERM, as `kill` or an orchestrator would; resolves with the exit status. */
  async stop(timeoutMs = 10_000): Promise<Exit> {
    if (this.alive) this.child.kill('SIGTERM')
    return this.exit(timeoutMs)
  }

  async kill(): Promise<Exit> {
    if (this.alive) this.child.kill('SIGKILL')
    return this.exited
  }
}

/** Runs `node <args>` in `cwd` to its end. */
export async function runExample(options: StartOptions & { timeoutMs?: number }): Promise<Exit & { stdout: string; stderr: string }> {
  const child = ExampleProcess.start(options)
  const exit = await child.exit(options.timeoutMs)
  return { ...exit, stdout: child.stdout, stderr: child.stderr }
}

/**
 * The standalone server as users start it (`taskcast --port 0 --host 127.0.0.1`), in memory
 * unless `config` says otherwise (written to a JSON config file in a temp directory).
 */
export async function startTaskcast(config: Record<string, unknown> = {}): Promise<{ url: string; process: ExampleProcess }> {
  const dir = await mkdtemp(join(tmpdir(), 'taskcast-examples-'))
  tempDirs.push(dir)
  const file = join(dir, 'taskcast.config.json')
  await writeFile(file, JSON.stringify({ logLevel: 'info', ...config }, null, 2))
  const server = ExampleProcess.start({ name: 'taskcast', cwd: dir, args: [BIN, '--port', '0', '--host', '127.0.0.1', '-c', file] })
  return { url: await server.listening(), process: server }
}
