import { defineProject } from 'vitest/config'
import pkg from './package.json' with { type: 'json' }

export default defineProject({
  // What tsup injects at build time, for the tests that import src/ directly.
  define: { __TASKCAST_VERSION__: JSON.stringify(pkg.version) },
  test: {
    name: '@taskcast/server',
    include: ['test/**/*.test.ts'],
    // Checks every response of the apps the tests create against /openapi.json.
    setupFiles: ['test/setup-openapi.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
