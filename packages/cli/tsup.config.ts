import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Options } from 'tsup'
import { packageBuild } from '../../tsup.base'
import pkg from './package.json' with { type: 'json' }

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number]

const PACKAGES_DIR = fileURLToPath(new URL('..', import.meta.url))
const WORKSPACE_IMPORT = /^@taskcast\/([a-z-]+)(?:\/([a-z-]+))?$/

/**
 * `@taskcast/<name>[/<subpath>]` → `packages/<name>/src[/<subpath>]/index.ts`. The dashboard
 * inlines the browser packages from their sources, not from their dist/, which scripts/build.mjs
 * may be emptying and rebuilding at the same moment (it builds every package at once).
 */
const workspaceSources: EsbuildPlugin = {
  name: 'taskcast-workspace-sources',
  setup(build) {
    build.onResolve({ filter: WORKSPACE_IMPORT }, ({ path }) => {
      const [, name = '', subpath = ''] = WORKSPACE_IMPORT.exec(path) ?? []
      return { path: join(PACKAGES_DIR, name, 'src', subpath, 'index.ts') }
    })
  },
}

export default defineConfig([
  // The library (`startServer`, `loadConfig`) and the command, dist/bin.js. The installed
  // `taskcast` is bin/taskcast.js, a committed launcher that imports it: a link to a built file
  // would dangle from install until the first build. dist/dashboard/ is the other build's.
  packageBuild(pkg, {
    entry: ['src/index.ts', 'src/bin.ts'],
    platform: 'node',
    target: 'node20',
    clean: ['!dashboard/**'],
  }),
  // The dashboard page's script and styles (dist/dashboard/app.js, app.css), served by
  // src/dashboard/: everything bundled (React included), nothing fetched from elsewhere.
  {
    entry: { app: 'dashboard/main.tsx' },
    outDir: 'dist/dashboard',
    tsconfig: 'dashboard/tsconfig.json',
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    minify: true,
    noExternal: [/.*/],
    esbuildPlugins: [workspaceSources],
    define: { 'process.env.NODE_ENV': '"production"', __TASKCAST_VERSION__: JSON.stringify(pkg.version) },
    dts: false,
    sourcemap: false,
    clean: true,
  },
])
