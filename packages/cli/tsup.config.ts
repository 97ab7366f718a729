import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'
import pkg from './package.json' with { type: 'json' }

// Two entries: the library (`startServer`, `loadConfig`) and the command, dist/bin.js. The
// installed `taskcast` is bin/taskcast.js, a committed launcher that imports it: a link to a
// built file would dangle from install until the first build.
export default defineConfig(
  packageBuild(pkg, {
    entry: ['src/index.ts', 'src/bin.ts'],
    platform: 'node',
    target: 'node20',
  }),
)
