// The scenarios run the built packages, as users do: refuse to start without them, and warn
// when a package's dist/ is older than its src/ (the run would test stale code).
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BIN, REPO_DIR } from './paths.js'

/** Packages whose dist/ the spawned servers or the test process load. */
const PACKAGES = ['core', 'server', 'redis', 'postgres', 'sqlite', 'cli', 'client', 'server-sdk', 'react', 'ai-sdk']

async function newestFile(dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? await newestFile(path) : (await stat(path)).mtimeMs)
  }
  return newest
}

export default async function setup(): Promise<void> {
  if (!(await stat(BIN).catch(() => null))) {
    throw new Error(`${BIN} is missing: build the packages first (pnpm build)`)
  }
  const stale: string[] = []
  for (const name of PACKAGES) {
    const dir = join(REPO_DIR, 'packages', name)
    const built = await newestFile(join(dir, 'dist')).catch(() => 0)
    if (built === 0) throw new Error(`packages/${name}/dist is missing: build the packages first (pnpm build)`)
    if ((await newestFile(join(dir, 'src'))) > built) stale.push(name)
  }
  if (stale.length > 0) {
    console.warn(`\n⚠️  dist/ is older than src/ in ${stale.join(', ')}: the scenarios run the old build (pnpm build)\n`)
  }
}
