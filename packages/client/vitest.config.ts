import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@taskcast/client',
    include: ['test/**/*.test.ts'],
    // Loopback servers, a TCP proxy that cuts connections and a real Chromium.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
