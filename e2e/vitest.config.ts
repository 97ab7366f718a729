import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@taskcast/e2e',
    include: ['test/**/*.test.ts'],
    // Each file starts several taskcast processes (and Redis servers, proxies): one file at a
    // time, so that two scenarios never compete for the machine's cores and skew each other.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // The suites read the built binaries; refuse to run without them.
    globalSetup: ['test/support/global-setup.ts'],
  },
})
