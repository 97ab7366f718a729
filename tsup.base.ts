// Shared tsup settings: every package ships ESM + .d.ts built the same way.
import type { Options } from 'tsup'

export function packageBuild(pkg: { version: string }, overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    outDir: 'dist',
    define: { __TASKCAST_VERSION__: JSON.stringify(pkg.version) },
    ...overrides,
  }
}
