import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'
import pkg from './package.json' with { type: 'json' }

// Two entries: the library (`startServer`, `loadConfig`) and the `taskcast` binary, which carries
// its `#!/usr/bin/env node` line in its source (tsup keeps a leading shebang and marks the file executable).
export default defineConfig(
  packageBuild(pkg, {
    entry: ['src/index.ts', 'src/bin.ts'],
    platform: 'node',
    target: 'node20',
  }),
)
