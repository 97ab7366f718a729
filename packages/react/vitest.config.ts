import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@taskcast/react',
    include: ['test/**/*.test.{ts,tsx}'],
    environment: 'happy-dom',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
