// Builds the published packages (packages/*): the JavaScript with each package's own tsup
// config, several packages at a time, then the declarations of all of them with one
// `tsc -b tsconfig.build.json`, in one process rather than a TypeScript program and a rollup per package.
//
//   node scripts/build.mjs                        everything, from clean (`pnpm build`)
//   node scripts/build.mjs --js-only --if-stale   only the JavaScript, and only for the packages whose
//                                                 dist/ is older than their inputs (`pnpm start`)
import { spawn } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const FLAGS = new Set(['--js-only', '--if-stale'])

const flags = process.argv.slice(2)
const unknown = flags.filter((flag) => !FLAGS.has(flag))
if (unknown.length > 0) {
  console.error(`build: unknown option ${unknown.join(' ')} (known: ${[...FLAGS].join(' ')})`)
  process.exit(2)
}
const jsOnly = flags.includes('--js-only')
const ifStale = flags.includes('--if-stale')

/** The script of a root devDependency's binary, to run with this node rather than through a shell shim. */
async function binOf(name, bin) {
  const manifestPath = createRequire(join(ROOT, 'package.json')).resolve(`${name}/package.json`)
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'))
  return join(dirname(manifestPath), manifest.bin[bin])
}

async function publicPackages() {
  const packages = []
  for (const entry of await readdir(join(ROOT, 'packages'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const dir = join(ROOT, 'packages', entry.name)
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8').catch(() => '{}'))
    if (manifest.name && !manifest.private) packages.push({ name: manifest.name, dir })
  }
  return packages
}

/** The modification times of every file under `path` (itself, if a file); none if it is missing. */
async function mtimes(path, keep = () => true) {
  const info = await stat(path).catch(() => null)
  if (!info) return []
  if (!info.isDirectory()) return keep(path) ? [info.mtimeMs] : []
  const nested = await Promise.all((await readdir(path)).map((name) => mtimes(join(path, name), keep)))
  return nested.flat()
}

/**
 * What a package's bundles read besides its own src/, package.json and tsup config. The CLI's
 * dashboard (packages/cli/tsup.config.ts) inlines its page and the browser packages' sources.
 */
const BUNDLED_INPUTS = {
  '@taskcast/cli': ['packages/cli/dashboard', 'packages/core/src', 'packages/client/src', 'packages/react/src'],
}

/**
 * Whether a package's JavaScript needs building: dist/ has none, or something tsup reads is
 * newer than the oldest of it. The bundles inline only the package's own sources (dependencies
 * stay external), so another package's changes never make this one stale, except for the
 * sources listed in BUNDLED_INPUTS.
 */
async function isStale({ name, dir }) {
  const outputs = await mtimes(join(dir, 'dist'), (path) => path.endsWith('.js'))
  if (outputs.length === 0) return true
  const bundled = (BUNDLED_INPUTS[name] ?? []).map((path) => join(ROOT, path))
  const inputs = (
    await Promise.all(
      [join(dir, 'src'), join(dir, 'package.json'), join(dir, 'tsup.config.ts'), join(ROOT, 'tsup.base.ts'), ...bundled].map((path) =>
        mtimes(path),
      ),
    )
  ).flat()
  return Math.max(...inputs) > Math.min(...outputs)
}

/** Runs a node script; resolves with its exit code and, unless `inherit`, what it printed. */
function run(args, { cwd, inherit = false }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.on('error', (error) => resolve({ code: 1, output: `${output}${error.message}\n` }))
    child.on('close', (code) => resolve({ code: code ?? 1, output }))
  })
}

/** tsup in each package, a few at a time; each one's output is shown only if it fails. */
async function buildJavaScript(packages) {
  const tsup = await binOf('tsup', 'tsup')
  const queue = [...packages]
  const failed = []
  const worker = async () => {
    for (let pkg = queue.shift(); pkg; pkg = queue.shift()) {
      const { code, output } = await run([tsup], { cwd: pkg.dir })
      if (code !== 0) {
        failed.push(pkg.name)
        process.stderr.write(`\n${pkg.name}: tsup failed\n${output}\n`)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), packages.length) }, worker))
  return failed
}

const started = performance.now()
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`
const all = await publicPackages()
const stale = ifStale ? (await Promise.all(all.map(async (pkg) => ((await isStale(pkg)) ? pkg : null)))).filter(Boolean) : all

if (stale.length === 0) {
  console.log('build: JavaScript up to date in every package')
} else {
  const failed = await buildJavaScript(stale)
  if (failed.length > 0) {
    console.error(`build: JavaScript failed in ${failed.join(', ')}`)
    process.exit(1)
  }
  const names = stale.map((pkg) => pkg.name.replace('@taskcast/', '')).join(', ')
  const rest = all.length - stale.length
  console.log(`build: JavaScript of ${names} (${elapsed()})${rest > 0 ? `; the other ${rest} up to date` : ''}`)
}

if (!jsOnly) {
  // After tsup, never alongside it: tsup empties dist/, declarations included.
  const { code } = await run([await binOf('typescript', 'tsc'), '-b', 'tsconfig.build.json'], { cwd: ROOT, inherit: true })
  if (code !== 0) {
    console.error('build: declarations failed (tsc -b tsconfig.build.json)')
    process.exit(code)
  }
  console.log(`build: declarations of every package (${elapsed()})`)
}
