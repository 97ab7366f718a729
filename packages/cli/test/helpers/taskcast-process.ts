// Runs the real `taskcast` binary as a child process, with an environment free of the
// runner's own TASKCAST_* variables, and kills whatever a test left running.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach } from 'vitest'
import { BIN } from './paths.js'

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface TaskcastProcess {
  readonly child: ChildProcess
  /** The URL of the `listening on <url>` line; rejects if the process exits before printing it. */
  readonly listening: Promise<string>
  readonly exited: Promise<Exit>
  /** The first match of `pattern` in stdout, once it is there; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>
  stdout(): string
  stderr(): string
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>
}

export interface SpawnOptions {
  args?: string[]
  env?: Record<string, string>
  cwd?: string
  /** Run this command instead of `node dist/bin.js` (the packed-install test runs the installed bin). */
  command?: string[]
}

const running = new Set<ChildProcess>()
const tempDirs: string[] = []

afterEach(async () => {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** process.env without the variables the CLI reads, so the runner's settings never leak in. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || (key.startsWith('TASKCAST_') && !key.startsWith('TASKCAST_TEST_')) || key === 'SENTRY_DSN') continue
    env[key] = value
  }
  return { ...env, ...extra }
}

const LISTENING = /listening on (http:\/\/[^\s"]+)/

export function spawnTaskcast(options: SpawnOptions = {}): TaskcastProcess {
  const [command, ...prefix] = options.command ?? [process.execPath, BIN]
  const child = spawn(command!, [...prefix, ...(options.args ?? [])], {
    cwd: options.cwd ?? tmpdir(),
    env: cleanEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8')
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    err += chunk
  })
  // 'close' (not 'exit') waits for the output streams to drain too, so stdout()/stderr() are complete.
  const closed = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    }),
  )
  // Each waiter is settled by new output, or rejected once the process is gone without it.
  const waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void; reject: (error: Error) => void }[] = []
  let exit: Exit | undefined
  const settleWaiters = () => {
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(out)
      if (!match && !exit) continue
      waiters.splice(waiters.indexOf(waiter), 1)
      if (match) waiter.resolve(match)
      else waiter.reject(new Error(`taskcast exited (code ${exit!.code}, signal ${exit!.signal}) before printing ${waiter.pattern}.\nstdout: ${out}\nstderr: ${err}`))
    }
  }
  child.stdout!.on('data', (chunk: string) => {
    out += chunk
    settleWaiters()
  })
  void closed.then((exited) => {
    exit = exited
    settleWaiters()
  })
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      waiters.push({ pattern, resolve, reject })
      settleWaiters()
    })
  const listening = waitFor(LISTENING).then((match) => match[1]!)
  listening.catch(() => undefined)
  return {
    child,
    listening,
    exited: closed,
    waitFor,
    stdout: () => out,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      child.kill(signal)
      return closed
    },
  }
}

/** Runs the binary to completion (for commands that exit by themselves), failing after `timeoutMs`. */
export async function runTaskcast(
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const proc = spawnTaskcast(options)
  const timeoutMs = options.timeoutMs ?? 15_000
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      proc.child.kill('SIGKILL')
      reject(new Error(`taskcast did not exit within ${timeoutMs} ms.\nstdout: ${proc.stdout()}\nstderr: ${proc.stderr()}`))
    }, timeoutMs)
  })
  try {
    const exit = await Promise.race([proc.exited, timeout])
    return { ...exit, stdout: proc.stdout(), stderr: proc.stderr() }
  } finally {
    clearTimeout(timer)
  }
}

/** A fresh directory removed after the test, with `files` written into it. */
export async function tempProject(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'taskcast-cli-'))
  tempDirs.push(dir)
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), content)
  }
  return dir
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Lines of output, without the trailing empty one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '')
}

/** A text log line without its timestamp: `INFO  listening on …`. */
export function withoutTime(line: string): string {
  return line.replace(/^\S+ /, '')
}
