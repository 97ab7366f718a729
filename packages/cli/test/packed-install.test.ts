// The published shape works: pack the CLI and the workspace packages it depends on, install
// the tarballs into an empty directory with npm, and run the installed `taskcast` there.
// Slow and needs the npm registry (or its cache) for third-party dependencies: it runs under
// CI=true or TASKCAST_PACK_TEST=1 only, after `pnpm build`.
import { execFile } from 'node:child_process'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
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

describe.runIf(enabled)('the packed CLI', () => {
  it('installs from its tarballs with npm and runs: --version, then a create/publish/subscribe round trip', { timeout: 600_000 }, async () => {
    const dir = await tempProject()
    const tarballs = join(dir, 'tarballs')
    const app = join(dir, 'app')
    await mkdir(app)

    // `pnpm -r pack` over @taskcast/cli and its workspace dependencies; pnpm rewrites `workspace:*`.
    await run('npx', [...PNPM, '-r', '--filter', '@taskcast/cli...', 'pack', '--pack-destination', tarballs], {
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
    ])

    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'taskcast-pack-test', private: true }))
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files.map((name) => join(tarballs, name))], {
      cwd: app,
      maxBuffer: 16 * 1024 * 1024,
    })

    const { stdout } = await run('npx', ['--no-install', 'taskcast', '--version'], { cwd: app })
    expect(stdout).toBe('0.1.0\n')

    const server = spawnTaskcast({ cwd: app, command: [join(app, 'node_modules/.bin/taskcast')], args: ['-p', '0', '--host', '127.0.0.1'] })
    const url = await server.listening
    await roundTrip(url)
    expect((await server.stop()).code).toBe(0)
    expect(server.stderr()).toBe('')
  })
})
