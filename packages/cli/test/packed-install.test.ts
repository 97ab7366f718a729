// The published shape works: pack the CLI and the workspace packages it depends on, install
// the tarballs into an empty directory with npm, and run the installed `taskcast` there.
// Slow and needs the npm registry (or its cache) for third-party dependencies: it runs under
// CI=true or TASKCAST_PACK_TEST=1 only, after `pnpm build`.
import { execFile } from 'node:child_process'
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { roundTrip } from './helpers/http.js'
import { PACKAGE_DIR } from './helpers/paths.js'
import { spawnTaskcast, tempProject } from './helpers/taskcast-process.js'

const run = promisify(execFile)

const enabled = process.env.CI === 'true' || process.env.TASKCAST_PACK_TEST === '1'
const REPO_ROOT = join(PACKAGE_DIR, '../..')
// The version the repository pins in package.json#packageManager.
const PNPM = ['-y', 'pnpm@10.34.9']

interface Manifest {
  main: string
  types: string
  bin?: Record<string, string>
  exports: Record<string, string | Record<string, string>>
}

/** The file paths of an `exports` map, every condition of every subpath. */
function exportTargets(exports: Manifest['exports']): string[] {
  return Object.values(exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
}

describe.runIf(enabled)('the packed CLI', () => {
  it('installs from its tarballs with npm and runs: --version, then a create/publish/subscribe round trip', { timeout: 600_000 }, async () => {
    const dir = await tempProject()
    const tarballs = join(dir, 'tarballs')
    const app = join(dir, 'app')
    await mkdir(app)

    // `pnpm -r pack` over @taskcast/cli and its workspace dependencies (not the devDependencies the
    // dashboard is bundled from); pnpm rewrites `workspace:*`.
    await run('npx', [...PNPM, '-r', '--filter-prod', '@taskcast/cli...', 'pack', '--pack-destination', tarballs], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    })
    const files = (await readdir(tarballs)).filter((name) => name.endsWith('.tgz')).sort()
    expect(files.map((name) => name.replace(/-\d+\.\d+\.\d+.*\.tgz$/, ''))).toEqual([
      'taskcast-cli',
      'taskcast-core',
      'taskcast-postgres',
      'taskcast-redis',
      'taskcast-sentry',
      'taskcast-server',
      'taskcast-sqlite',
    ])

    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'taskcast-pack-test', private: true }))
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files.map((name) => join(tarballs, name))], {
      cwd: app,
      maxBuffer: 16 * 1024 * 1024,
    })

    // Every path a package's manifest names is in its tarball: the JavaScript and the declarations
    // (built separately, by tsup and `tsc -b`) and the committed `taskcast` launcher.
    for (const name of files.map((file) => file.replace(/^taskcast-(.+)-\d+\.\d+\.\d+.*\.tgz$/, '@taskcast/$1'))) {
      const installed = join(app, 'node_modules', name)
      const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as Manifest
      const paths = [manifest.main, manifest.types, ...Object.values(manifest.bin ?? {}), ...exportTargets(manifest.exports)]
      const missing: string[] = []
      for (const path of paths) await access(join(installed, path)).catch(() => missing.push(path))
      expect({ name, missing }).toEqual({ name, missing: [] })
      // The build's incremental state stays out of the tarball.
      expect((await readdir(join(installed, 'dist'))).filter((file) => file.endsWith('.tsbuildinfo'))).toEqual([])
    }

    const { stdout } = await run('npx', ['--no-install', 'taskcast', '--version'], { cwd: app })
    expect(stdout).toBe('0.1.0\n')

    const server = spawnTaskcast({ cwd: app, command: [join(app, 'node_modules/.bin/taskcast')], args: ['-p', '0', '--host', '127.0.0.1'] })
    const url = await server.listening
    await roundTrip(url)
    // The dashboard's built files are in the tarball, where the server looks for them.
    expect((await fetch(`${url}/dashboard/app.js`)).status).toBe(200)
    expect((await server.stop()).code).toBe(0)
    expect(server.stderr()).toBe('')
  })
})
