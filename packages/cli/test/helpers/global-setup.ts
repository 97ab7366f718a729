// The tests run the built binary, as users do: refuse to start without it, warn when it is older than src/.
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BIN } from './paths.js'

async function newestSource(dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? await newestSource(path) : (await stat(path)).mtimeMs)
  }
  return newest
}

export default async function setup(): Promise<void> {
  const built = await stat(BIN).catch(() => null)
  if (!built) throw new Error(`${BIN} is missing: build the CLI first (cd packages/cli && npx tsup)`)
  if ((await newestSource(join(BIN, '../../src'))) > built.mtimeMs) {
    console.warn('\n⚠️  packages/cli/dist is older than src/: the tests run the old build (cd packages/cli && npx tsup)\n')
  }
}
