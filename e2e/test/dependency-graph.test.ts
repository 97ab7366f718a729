// The dependency graph of the published packages, as their package.json files declare it,
// against SPEC §1: what each package depends on, that every arrow points toward core and
// the CLI is the only composition root, that libraries an app also holds are peers with a
// range, and that packages reach each other only through their published entry points.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { REPO_DIR } from './support/paths.js'

interface Manifest {
  name: string
  private?: boolean
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  exports?: Record<string, unknown>
}

interface Expected {
  /** `dependencies`, by name. */
  dependencies: string[]
  /** Required `peerDependencies`, by name. */
  peers?: string[]
  /** Optional peers, each with what needs it (SPEC §1 lists runtime dependencies only). */
  optionalPeers?: Record<string, string>
  /** Dependencies SPEC §1 does not list, each with why the package has it. */
  beyondSpec?: Record<string, string>
  /** Dependencies SPEC §1 lists on packages the workspace does not have yet. */
  pending?: string[]
}

/** SPEC §1, "Packages and the direction of dependencies", by package. */
const SPEC: Record<string, Expected> = {
  '@taskcast/core': {
    dependencies: ['ulid'],
    optionalPeers: { vitest: 'the store contract suite of @taskcast/core/testing' },
  },
  '@taskcast/server': {
    dependencies: ['@taskcast/core', 'jose'],
    peers: ['hono'],
    beyondSpec: { 'prom-client': 'GET /metrics, in the Prometheus format SPEC §21 has prom-client write' },
  },
  '@taskcast/redis': { dependencies: ['@taskcast/core', 'ioredis'] },
  // @types/pg: pg's types appear in the package's public .d.ts.
  '@taskcast/postgres': { dependencies: ['@taskcast/core', 'pg', '@types/pg'] },
  '@taskcast/server-sdk': { dependencies: ['@taskcast/core'] },
  '@taskcast/client': { dependencies: ['@taskcast/core'] },
  '@taskcast/react': { dependencies: ['@taskcast/client'], peers: ['react'] },
  '@taskcast/sentry': { dependencies: ['@taskcast/core'], peers: ['@sentry/node'] },
  '@taskcast/sqlite': { dependencies: ['@taskcast/core', 'better-sqlite3'] },
  '@taskcast/ai-sdk': { dependencies: ['@taskcast/core', '@taskcast/client'], peers: ['ai'] },
  '@taskcast/cli': {
    dependencies: [
      '@taskcast/server',
      '@taskcast/redis',
      '@taskcast/postgres',
      '@taskcast/sqlite',
      '@taskcast/sentry',
      'commander',
      'yaml',
      '@hono/node-server',
    ],
    beyondSpec: {
      '@taskcast/core': 'the CLI builds the engine itself (TaskEngine, the in-memory adapters)',
      hono: "@taskcast/server's peer: the composition root supplies it",
      '@sentry/node': "@taskcast/sentry's peer: the composition root supplies it",
      jiti: 'loads taskcast.config.ts on Node 20, which cannot run TypeScript',
      '@hono/node-ws': "GET /workers/ws (SPEC §18): Hono's own WebSocket upgrade for @hono/node-server",
    },
  },
}

/** Libraries an app also holds: a library package takes them as peers, with a range. */
const SHARED_WITH_APPS = ['hono', '@hono/node-server', 'react', 'ai', '@sentry/node']
const CORE = '@taskcast/core'
const CLI = '@taskcast/cli'

const packagesDir = join(REPO_DIR, 'packages')
const packages = readdirSync(packagesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && statSync(join(packagesDir, entry.name, 'package.json'), { throwIfNoEntry: false }))
  .map((entry) => {
    const dir = join(packagesDir, entry.name)
    return { dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest }
  })
  .filter(({ manifest }) => !manifest.private)
const byName = new Map(packages.map((pkg) => [pkg.manifest.name, pkg]))
const isTaskcast = (name: string) => name.startsWith('@taskcast/')

const sorted = (names: Iterable<string>) => [...names].sort()
const requiredPeers = (manifest: Manifest) =>
  Object.keys(manifest.peerDependencies ?? {}).filter((name) => !manifest.peerDependenciesMeta?.[name]?.optional)
const optionalPeers = (manifest: Manifest) =>
  Object.keys(manifest.peerDependencies ?? {}).filter((name) => manifest.peerDependenciesMeta?.[name]?.optional)
/** The @taskcast packages `manifest` depends on at run time (dependencies and peers). */
const taskcastEdges = (manifest: Manifest) =>
  [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})].filter(isTaskcast)

/** A version range rather than one version: not `1.2.3`/`=1.2.3`, and bounded below. */
function isRange(spec: string): boolean {
  const exact = /^\s*=?\s*v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?\s*$/.test(spec)
  return !exact && !['', '*', 'x', 'latest'].includes(spec.trim())
}

/** Every source file under `dir` (TypeScript and JavaScript), recursively. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(?:[cm]?[jt]sx?)$/.test(entry.name) ? [path] : []
  })
}

/** The module specifiers a file imports or re-exports (comments and strings ignored). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return info.importedFiles.map((ref) => ref.fileName)
}

describe('the packages', () => {
  it('are the ones SPEC §1 lists', () => {
    const unlisted = [...byName.keys()].filter((name) => !(name in SPEC))
    expect(unlisted, 'packages missing from SPEC §1 (and from this test)').toEqual([])
  })
})

describe.each(packages.map(({ manifest }) => [manifest.name, manifest] as const))('%s', (name, manifest) => {
  const expected = SPEC[name]

  it('depends on what SPEC §1 lists', () => {
    if (expected === undefined) return // reported by "are the ones SPEC §1 lists"
    for (const pending of expected.pending ?? []) {
      // Once the package exists, the CLI must depend on it and the entry goes.
      expect(byName.has(pending), `${pending} exists now: drop it from pending`).toBe(false)
    }
    const dependencies = [...expected.dependencies, ...Object.keys(expected.beyondSpec ?? {})].filter(
      (dependency) => !expected.pending?.includes(dependency),
    )
    expect(sorted(Object.keys(manifest.dependencies ?? {})), 'dependencies').toEqual(sorted(dependencies))
    expect(sorted(requiredPeers(manifest)), 'peerDependencies').toEqual(sorted(expected.peers ?? []))
    expect(sorted(optionalPeers(manifest)), 'optional peerDependencies').toEqual(
      sorted(Object.keys(expected.optionalPeers ?? {})),
    )
  })

  it('takes the libraries an app also holds as peers with a range, never as pinned dependencies', () => {
    if (name === CLI) return // the composition root: it installs them for the app it is
    for (const library of SHARED_WITH_APPS) {
      expect(manifest.dependencies?.[library], `${library} in dependencies`).toBeUndefined()
      const range = manifest.peerDependencies?.[library]
      if (range !== undefined) expect(isRange(range), `${library}@${range} is not a range`).toBe(true)
    }
  })

  it('imports only what it declares, and other packages only through their exports', () => {
    const pkg = byName.get(name)!
    const declared = new Set([
      name,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ])
    const problems: string[] = []
    for (const file of sourceFiles(join(pkg.dir, 'src'))) {
      const where = relative(REPO_DIR, file)
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier)
          if (!target.startsWith(join(pkg.dir, 'src') + sep)) problems.push(`${where}: ${specifier} leaves the package's src/`)
          continue
        }
        if (specifier.startsWith('node:')) continue
        const parts = specifier.split('/')
        const bare = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
        const subpath = `.${specifier.slice(bare.length)}`
        if (!declared.has(bare)) problems.push(`${where}: ${specifier} is not a dependency or peer`)
        if (/(?:^|\/)src(?:\/|$)/.test(specifier.slice(bare.length))) problems.push(`${where}: ${specifier} reaches into src/`)
        const other = isTaskcast(bare) ? byName.get(bare) : undefined
        if (other && !Object.keys(other.manifest.exports ?? {}).includes(subpath)) {
          problems.push(`${where}: ${specifier} is not in ${bare}'s exports`)
        }
      }
    }
    expect(problems).toEqual([])
  })
})

describe('the arrows', () => {
  it('leave core depending on no @taskcast package', () => {
    expect(taskcastEdges(byName.get(CORE)!.manifest)).toEqual([])
  })

  it('never point at the CLI, the only composition root', () => {
    const dependents = packages.filter(({ manifest }) => taskcastEdges(manifest).includes(CLI))
    expect(dependents.map(({ manifest }) => manifest.name)).toEqual([])
  })

  it('form no cycle, and every path ends in core', () => {
    const visiting = new Set<string>()
    const done = new Set<string>()
    const cycles: string[] = []
    const visit = (name: string, path: string[]) => {
      if (done.has(name)) return
      if (visiting.has(name)) {
        cycles.push([...path.slice(path.indexOf(name)), name].join(' → '))
        return
      }
      visiting.add(name)
      for (const next of taskcastEdges(byName.get(name)?.manifest ?? { name })) visit(next, [...path, name])
      visiting.delete(name)
      done.add(name)
    }
    for (const name of byName.keys()) visit(name, [])
    expect(cycles).toEqual([])

    // A package with no @taskcast dependency other than core is a leaf; every other one must
    // reach core through its dependencies.
    const reachesCore = (name: string): boolean =>
      name === CORE || taskcastEdges(byName.get(name)!.manifest).some(reachesCore)
    expect([...byName.keys()].filter((name) => !reachesCore(name))).toEqual([])
  })

  it('name only packages of the workspace', () => {
    const missing = packages.flatMap(({ manifest }) =>
      taskcastEdges(manifest)
        .filter((target) => !byName.has(target))
        .map((target) => `${manifest.name} → ${target}`),
    )
    expect(missing).toEqual([])
  })
})
