import { defineProject } from 'vitest/config'

export default defineProject({
  // The same inlining tsup does with `loader: { '.lua': 'text' }`, for tests that import src/.
  plugins: [
    {
      name: 'taskcast-lua-as-text',
      transform(code, id) {
        if (id.endsWith('.lua')) return { code: `export default ${JSON.stringify(code)}`, map: null }
      },
    },
  ],
  test: {
    name: '@taskcast/redis',
    include: ['test/**/*.test.ts'],
    // The store contract appends 10,000 events one round trip at a time.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
})
