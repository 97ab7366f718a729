// Files a store must refuse: each one gives one VALIDATION_ERROR line naming the file and the
// problem (details.field `path`, which the CLI turns into its config key), and the file stays
// exactly as it was.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { TaskcastError } from '@taskcast/core'
import { makeDraft, makeTask } from '@taskcast/core/testing'
import { describe, expect, it } from 'vitest'
import { SqliteLongTermStore, SqliteShortTermStore } from '../src/index.js'
import { tempDatabasePath, tempDir } from './temp-database.js'

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

function refusal(open: () => unknown): TaskcastError {
  try {
    open()
  } catch (error) {
    if (TaskcastError.isInstance(error)) return error
    throw error
  }
  throw new Error('the store opened the file')
}

/** Opens the file both ways; both refuse it with the same line. Returns the message. */
function expectRefused(path: string, problem: RegExp): string {
  const short = refusal(() => new SqliteShortTermStore({ path }))
  const long = refusal(() => new SqliteLongTermStore({ path }))
  for (const error of [short, long]) {
    expect({ code: error.code, field: error.details?.field }).toEqual({ code: 'VALIDATION_ERROR', field: 'path' })
    expect(error.message).toMatch(new RegExp(`^cannot use ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} as a Taskcast SQLite database: `))
    expect(error.message).toMatch(problem)
    expect(error.message).not.toContain('\n')
  }
  expect(long.message).toBe(short.message)
  return short.message
}

describe('files a store refuses, leaving them untouched', () => {
  it('a directory', () => {
    const dir = tempDir()
    expectRefused(dir, /: it is a directory \(give a file path, e\.g\. \.\/taskcast\.db\)$/)
    expect(readdirSync(dir)).toEqual([])
  })

  it('a file in a directory that does not exist', () => {
    const path = join(tempDir(), 'missing', 'taskcast.db')
    expectRefused(path, /the directory .*missing does not exist$/)
  })

  it('a file of another program that is not a database', () => {
    const dir = tempDir()
    const path = join(dir, 'notes.txt')
    writeFileSync(path, 'Shopping list: milk, eggs, bread.\n'.repeat(200))
    const before = digest(path)
    expectRefused(path, /: it is not a SQLite database; it was left untouched$/)
    expect(digest(path)).toBe(before)
    expect(readdirSync(dir)).toEqual(['notes.txt'])
  })

  it("another program's SQLite database", () => {
    const dir = tempDir()
    const path = join(dir, 'photos.db')
    const other = new Database(path)
    other.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES ('beach.jpg');")
    other.close()
    const before = digest(path)
    expectRefused(path, /: it is another program's SQLite database \(tables photos\); it was left untouched$/)
    expect(digest(path)).toBe(before)
    expect(readdirSync(dir)).toEqual(['photos.db'])
  })

  it('a Taskcast database whose pages were damaged', async () => {
    const path = tempDatabasePath()
    const store = new SqliteShortTermStore({ path })
    const task = makeTask({ status: 'running' })
    await store.createTask(task)
    await store.appendEvents(task.id, Array.from({ length: 500 }, (_, n) => makeDraft(task.id, { data: { n, text: 'x'.repeat(200) } })))
    await store.close()
    // The last connection's close checkpoints the WAL into the file: the pages below are in it.
    const bytes = readFileSync(path)
    expect(bytes.length).toBeGreaterThan(20 * 4096)
    bytes.fill(0xa5, 10 * 4096, 12 * 4096)
    writeFileSync(path, bytes)
    const before = digest(path)
    expectRefused(path, /: it is damaged \(SQLite's quick_check: .+\)$/)
    expect(digest(path)).toBe(before)
  })

  it('a Taskcast database written by a newer version of the schema', async () => {
    const path = tempDatabasePath()
    await new SqliteShortTermStore({ path }).close()
    const db = new Database(path)
    db.prepare('INSERT INTO taskcast_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(9999, 'from-the-future', Date.now())
    db.close()
    expectRefused(path, /: its schema version 9999 is newer than this @taskcast\/sqlite knows \(2\): upgrade Taskcast$/)
  })

  it('bad options, naming the option', () => {
    for (const [options, field] of [
      [{ path: '' }, 'path'],
      [{ path: tempDatabasePath(), synchronous: 'sometimes' }, 'synchronous'],
      [{ path: tempDatabasePath(), busyTimeoutMs: -1 }, 'busyTimeoutMs'],
    ] as const) {
      const error = refusal(() => new SqliteShortTermStore(options as never))
      expect([error.code, error.details?.field]).toEqual(['VALIDATION_ERROR', field])
    }
  })
})

describe('a new file', () => {
  it('is created in WAL mode, marked as a Taskcast database, with its migrations recorded', async () => {
    const dir = tempDir()
    const path = join(dir, 'taskcast.db')
    const store = new SqliteShortTermStore({ path, synchronous: 'full' })
    expect(readdirSync(dir).sort()).toEqual(['taskcast.db', 'taskcast.db-shm', 'taskcast.db-wal'])
    await store.close()
    const db = new Database(path, { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('application_id', { simple: true })).toBe(0x544b4353)
    expect(db.prepare('SELECT version, name FROM taskcast_migrations').all()).toEqual([
      { version: 1, name: 'init' },
      { version: 2, name: 'task-index' },
    ])
    db.close()
    // Opened again: nothing to apply, nothing changed.
    await new SqliteLongTermStore({ path }).close()
    expect(readdirSync(dir).sort()).toEqual(['taskcast.db'])
  })
})
