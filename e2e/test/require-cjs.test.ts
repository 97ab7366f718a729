// CommonJS consumers: every entry point in a published package's `exports` loads with require()
// (Node >= 20.19 requires ES modules that have no top-level await). Runs the built packages, in a
// separate node process so that nothing of vitest's module loading is involved.
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { REPO_DIR } from './support/paths.js'

const run = promisify(execFile)
const E2E_DIR = join(REPO_DIR, 'e2e')

/** One runtime export per entry point, to tell a loaded module from an empty one. */
const KNOWN_EXPORTS: Record<string, string> = {
  '@taskcast/core': 'TaskcastError',
  '@taskcast/core/wire': 'httpStatusOf',
  '@taskcast/core/internal': 'FilteredStream',
  '@taskcast/core/testing': 'describeShortTermStoreContract',
  '@taskcast/server': 'createTaskcastApp',
  '@taskcast/redis': 'RedisShortTermStore',
  '@taskcast/postgres': 'PostgresLongTermStore',
  '@taskcast/sqlite': 'SqliteShortTermStore',
  '@taskcast/sentry': 'createSentryHooks',
  '@taskcast/client': 'TaskcastClient',
  '@taskcast/server-sdk': 'TaskcastServerClient',
  '@taskcast/react': 'useTaskEvents',
  '@taskcast/ai-sdk': 'publishUIMessageStream',
  '@taskcast/cli': 'startServer',
}

/** The contract suites import vitest, which throws when loaded outside a vitest run. */
const NEEDS_VITEST = new Set(['@taskcast/core/testing'])

/** Every JavaScript entry point the public packages export, read from their package.json. */
async function entryPoints(): Promise<string[]> {
  const specifiers: string[] = []
  for (const dir of await readdir(join(REPO_DIR, 'packages'))) {
    const manifest = JSON.parse(await readFile(join(REPO_DIR, 'packages', dir, 'package.json'), 'utf8')) as {
      name: string
      private?: boolean
      exports: Record<string, unknown>
    }
    if (manifest.private) continue
    for (const subpath of Object.keys(manifest.exports)) {
      if (subpath !== './package.json') specifiers.push(subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`)
    }
  }
  return specifiers.sort()
}

// Prints, for each specifier given as an argument, the type of its known export or the error code.
const REQUIRE_EACH = `
const [checks, loadOnly] = process.argv.slice(1).map((arg) => JSON.parse(arg))
const results = {}
for (const [specifier, name] of Object.entries(checks)) {
  try {
    if (loadOnly.includes(specifier)) {
      require.resolve(specifier)
      results[specifier] = 'resolved'
    } else {
      results[specifier] = typeof require(specifier)[name]
    }
  } catch (error) {
    results[specifier] = error.code ?? String(error)
  }
}
process.stdout.write(JSON.stringify(results))
`

describe('require() from CommonJS', () => {
  it('knows an export of every entry point the packages publish', async () => {
    expect(Object.keys(KNOWN_EXPORTS).sort()).toEqual(await entryPoints())
  })

  it('loads every entry point in a plain node process and finds its known export', async () => {
    const loadOnly = [...NEEDS_VITEST]
    const { stdout } = await run(process.execPath, ['--input-type=commonjs', '-e', REQUIRE_EACH, JSON.stringify(KNOWN_EXPORTS), JSON.stringify(loadOnly)], {
      cwd: E2E_DIR,
    })
    const expected = Object.fromEntries(Object.keys(KNOWN_EXPORTS).map((specifier) => [specifier, NEEDS_VITEST.has(specifier) ? 'resolved' : 'function']))
    expect(JSON.parse(stdout)).toEqual(expected)
  })

  it('loads the contract suites with require() inside a vitest run, as a CommonJS test file would', () => {
    const require = createRequire(join(E2E_DIR, 'package.json'))
    for (const specifier of NEEDS_VITEST) {
      expect(typeof (require(specifier) as Record<string, unknown>)[KNOWN_EXPORTS[specifier]!]).toBe('function')
    }
  })
})
