import { defineProject } from 'vitest/config'
import pkg from './package.json' with { type: 'json' }

export default defineProject({
  // What tsup injects at build time, for the tests that import src/ directly.
  define: { __TASKCAST_VERSION__: JSON.stringify(pkg.version) },
  test: {
    name: '@taskcast/cli',
    include: ['test/**/*.test.ts'],
    // Most tests spawn the built binary (dist/bin.js); the setup refuses to run without it.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
