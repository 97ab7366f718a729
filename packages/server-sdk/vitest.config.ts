import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@taskcast/server-sdk',
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
