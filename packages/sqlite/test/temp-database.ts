// Database files for the tests: each in a directory of its own, removed when the file's tests end.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

const dirs: string[] = []

afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A fresh directory under the system's temp dir. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskcast-sqlite-'))
  dirs.push(dir)
  return dir
}

/** The path of a database file that does not exist yet. */
export function tempDatabasePath(name = 'taskcast.db'): string {
  return join(tempDir(), name)
}
