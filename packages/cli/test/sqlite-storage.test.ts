// SQLite storage from the command line (SPEC §12, §20): `--storage sqlite`, `--db`, the
// environment and the config file choose it; a restarted process finds what the last one kept;
// a file it cannot use is one line on stderr, exit code 1, and the file as it was.
import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { api, roundTrip } from './helpers/http.js'
import { BIN } from './helpers/paths.js'
import { lines, runTaskcast, spawnTaskcast, tempProject, withoutTime } from './helpers/taskcast-process.js'

const LOOPBACK = ['-p', '0', '--host', '127.0.0.1']
const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

/** A server started with `options`: its banner's `shortTerm=` and `longTerm=`, and a stop that tells whether the in-memory note was printed. */
async function startedWith(options: Parameters<typeof spawnTaskcast>[0]) {
  const proc = spawnTaskcast(options)
  const url = await proc.listening
  const banner = withoutTime(lines(proc.stdout())[0]!)
  return {
    shortTerm: /shortTerm=(\S+)/.exec(banner)![1]!,
    longTerm: /longTerm=(\S+)/.exec(banner)![1]!,
    url,
    /** Stops it; resolves its exit code and whether it said tasks are kept in memory. */
    stop: async () => {
      const { code } = await proc.stop()
      return { code, note: proc.stdout().includes('tasks are kept in memory') }
    },
  }
}

describe('choosing SQLite', () => {
  it('--storage sqlite keeps tasks in ./taskcast.db, and a restarted server has them all', async () => {
    const dir = await tempProject()
    const first = await startedWith({ cwd: dir, args: ['--storage', 'sqlite', ...LOOPBACK] })
    expect([first.shortTerm, first.longTerm]).toEqual(['sqlite(taskcast.db)', 'none'])
    const taskId = await roundTrip(first.url)
    const pending = await api(first.url, 'POST', '/tasks', { id: 'kept-pending', ttl: 3600, metadata: { n: 1 } })
    expect(await first.stop()).toEqual({ code: 0, note: false })
    // A clean stop checkpoints the WAL and leaves the database file alone.
    expect(readdirSync(dir)).toEqual(['taskcast.db'])

    const second = await startedWith({ cwd: dir, args: ['--storage', 'sqlite', ...LOOPBACK] })
    expect((await api(second.url, 'GET', `/tasks/${taskId}`)).body).toMatchObject({ id: taskId, status: 'completed' })
    const history = await api(second.url, 'GET', `/tasks/${taskId}/events/history`)
    expect(history.body.map((event: { type: string; index: number }) => [event.index, event.type])).toEqual([
      [0, 'taskcast:status'],
      [1, 'llm.delta'],
      [2, 'llm.delta'],
      [3, 'taskcast:status'],
    ])
    expect((await api(second.url, 'GET', '/tasks/kept-pending')).body).toEqual({ ...pending.body, subscribers: 0 })
    expect((await second.stop()).code).toBe(0)
  })

  it('--db <file> alone means SQLite in that file', async () => {
    const dir = await tempProject()
    // The directory must exist: the store does not create it.
    expect(await refusal(['--db', 'data/tasks.db'], dir)).toEqual(cannotUse('data/tasks.db', 'the directory data does not exist'))
    mkdirSync(join(dir, 'data'))
    const started = await startedWith({ cwd: dir, args: ['--db', 'data/tasks.db', ...LOOPBACK] })
    expect(started.shortTerm).toBe('sqlite(data/tasks.db)')
    expect((await started.stop()).code).toBe(0)
  })

  it('TASKCAST_STORAGE=sqlite and TASKCAST_SQLITE_PATH, under the flags', async () => {
    const dir = await tempProject()
    const byEnv = await startedWith({ cwd: dir, args: LOOPBACK, env: { TASKCAST_STORAGE: 'sqlite', TASKCAST_SQLITE_PATH: 'env.db' } })
    expect(byEnv.shortTerm).toBe('sqlite(env.db)')
    expect((await byEnv.stop()).code).toBe(0)
    const pathAlone = await startedWith({ cwd: dir, args: LOOPBACK, env: { TASKCAST_SQLITE_PATH: 'alone.db' } })
    expect(pathAlone.shortTerm).toBe('sqlite(alone.db)')
    expect((await pathAlone.stop()).code).toBe(0)
    const flagWins = await startedWith({ cwd: dir, args: [...LOOPBACK, '--storage', 'memory'], env: { TASKCAST_STORAGE: 'sqlite' } })
    expect(flagWins.shortTerm).toBe('memory')
    expect(await flagWins.stop()).toEqual({ code: 0, note: true })
  })

  it('the config file: adapters.shortTerm and adapters.longTerm on SQLite share the file unless told otherwise', async () => {
    const dir = await tempProject({
      'taskcast.config.yaml': 'adapters:\n  shortTerm: { provider: sqlite, path: live.db, synchronous: full }\n  longTerm: { provider: sqlite }\n',
    })
    const shared = await startedWith({ cwd: dir, args: LOOPBACK })
    expect([shared.shortTerm, shared.longTerm]).toEqual(['sqlite(live.db)', 'sqlite(live.db)'])
    await roundTrip(shared.url)
    expect((await shared.stop()).code).toBe(0)
    // --storage over a file configured for Redis: the Redis keys of the file no longer apply.
    const redisFile = await tempProject({
      'taskcast.config.yaml': 'adapters:\n  shortTerm: { provider: redis, url: "redis://127.0.0.1:1", keyPrefix: "app:" }\n  longTerm: { provider: sqlite, path: archive.db }\n',
    })
    const overridden = await startedWith({ cwd: redisFile, args: [...LOOPBACK, '--storage', 'sqlite'] })
    expect([overridden.shortTerm, overridden.longTerm]).toEqual(['sqlite(taskcast.db)', 'sqlite(archive.db)'])
    expect((await overridden.stop()).code).toBe(0)
  })
})

interface Refusal {
  code: number | null
  stderr: string
}

async function refusal(args: string[], cwd: string, command?: string[]): Promise<Refusal> {
  const result = await runTaskcast({ cwd, args: [...args, ...LOOPBACK], ...(command && { command }) })
  return { code: result.code, stderr: result.stderr }
}

const cannotUse = (path: string, problem: string) => ({
  code: 1,
  stderr: `taskcast: adapters.shortTerm.path: cannot use ${path} as a Taskcast SQLite database: ${problem}\n`,
})

/** A Taskcast database with a task in it, its WAL checkpointed into the file. */
async function taskcastDatabase(dir: string): Promise<string> {
  const server = await startedWith({ cwd: dir, args: ['--db', 'taskcast.db', ...LOOPBACK] })
  await roundTrip(server.url)
  expect((await server.stop()).code).toBe(0)
  return join(dir, 'taskcast.db')
}

describe('a file the server cannot use: one line, exit 1, the file untouched', () => {
  it('a directory', async () => {
    const dir = await tempProject()
    mkdirSync(join(dir, 'db'))
    expect(await refusal(['--db', 'db'], dir)).toEqual(cannotUse('db', 'it is a directory (give a file path, e.g. ./taskcast.db)'))
    expect(readdirSync(join(dir, 'db'))).toEqual([])
  })

  it('a file of another program: a text file, and a SQLite database with tables of its own', async () => {
    const dir = await tempProject({ 'notes.txt': 'Remember the milk.\n'.repeat(100) })
    const notes = digest(join(dir, 'notes.txt'))
    expect(await refusal(['--db', 'notes.txt'], dir)).toEqual(cannotUse('notes.txt', 'it is not a SQLite database; it was left untouched'))
    expect(digest(join(dir, 'notes.txt'))).toBe(notes)
    const other = new Database(join(dir, 'app.db'))
    other.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); CREATE TABLE orders (id INTEGER PRIMARY KEY)')
    other.close()
    const app = digest(join(dir, 'app.db'))
    expect(await refusal(['--storage', 'sqlite', '--db', 'app.db'], dir)).toEqual(
      cannotUse('app.db', "it is another program's SQLite database (tables orders, users); it was left untouched"),
    )
    expect(digest(join(dir, 'app.db'))).toBe(app)
    expect(readdirSync(dir).sort()).toEqual(['app.db', 'notes.txt'])
  })

  it('a corrupt database: a damaged page, and a truncated header', async () => {
    const dir = await tempProject()
    const path = await taskcastDatabase(dir)
    const bytes = readFileSync(path)
    const damaged = Buffer.from(bytes)
    damaged.fill(0x5a, damaged.length - 4096, damaged.length)
    writeFileSync(join(dir, 'damaged.db'), damaged)
    const before = digest(join(dir, 'damaged.db'))
    const result = await refusal(['--db', 'damaged.db'], dir)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^taskcast: adapters\.shortTerm\.path: cannot use damaged\.db as a Taskcast SQLite database: it is damaged \(SQLite's quick_check: [^\n]+\)\n$/)
    expect(digest(join(dir, 'damaged.db'))).toBe(before)
    writeFileSync(join(dir, 'truncated.db'), bytes.subarray(0, 60))
    expect(await refusal(['--db', 'truncated.db'], dir)).toEqual(cannotUse('truncated.db', 'it is damaged (SQLITE_CORRUPT); it was left untouched'))
    expect(readFileSync(join(dir, 'truncated.db'))).toEqual(bytes.subarray(0, 60))
  })

  it('a read-only file', async () => {
    const dir = await tempProject()
    const path = await taskcastDatabase(dir)
    const readOnly = join(dir, 'read-only.db')
    copyFileSync(path, readOnly)
    chmodSync(readOnly, 0o444)
    // Root may write any file: then the server runs as nobody, for whom the file is read-only.
    const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN] : undefined
    if (asNobody) chmodSync(dir, 0o777)
    const before = digest(readOnly)
    expect(await refusal(['--db', 'read-only.db'], dir, asNobody)).toEqual(cannotUse('read-only.db', 'the file is read-only'))
    expect(digest(readOnly)).toBe(before)
  })

  it('contradicting settings name both', async () => {
    const dir = await tempProject()
    const both = await runTaskcast({ cwd: dir, args: LOOPBACK, env: { TASKCAST_SQLITE_PATH: 'x.db', TASKCAST_REDIS_URL: 'redis://127.0.0.1:1' } })
    expect({ code: both.code, stderr: both.stderr }).toEqual({
      code: 1,
      stderr: 'taskcast: TASKCAST_SQLITE_PATH and TASKCAST_REDIS_URL are both set: use one (tasks in a SQLite file, or in Redis)\n',
    })
    const memory = await runTaskcast({ cwd: dir, args: LOOPBACK, env: { TASKCAST_STORAGE: 'memory', TASKCAST_SQLITE_PATH: 'x.db' } })
    expect(memory.stderr).toBe('taskcast: TASKCAST_STORAGE is memory, but TASKCAST_SQLITE_PATH is set: unset it, or set TASKCAST_STORAGE=sqlite\n')
    const typo = await runTaskcast({ cwd: dir, args: LOOPBACK, env: { TASKCAST_STORAGE: 'sqlit' } })
    expect(typo.stderr).toBe('taskcast: TASKCAST_STORAGE must be one of "memory", "sqlite", "redis" (got "sqlit")\n')
    const misplaced = await runTaskcast({ cwd: dir, args: [...LOOPBACK, '--storage', 'memory', '--db', 'x.db'] })
    expect(misplaced.stderr).toBe('taskcast: adapters.shortTerm.path is only used with provider sqlite (the provider is memory)\n')
    expect(readdirSync(dir)).toEqual([])
  })
})
