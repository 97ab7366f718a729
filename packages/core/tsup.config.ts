import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'
import pkg from './package.json' with { type: 'json' }

export default defineConfig(
  packageBuild(pkg, {
    entry: {
      index: 'src/index.ts',
      'wire/index': 'src/wire/index.ts',
      'internal/index': 'src/internal/index.ts',
      'testing/index': 'src/testing/index.ts',
    },
    external: ['vitest'],
  }),
)
