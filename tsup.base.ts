// Shared tsup settings: every package ships ESM built the same way. tsup writes only the
// JavaScript; the declarations come from one `tsc -b tsconfig.build.json` over all packages
// (scripts/build.mjs), which is several times faster than bundling them per package.
import type { Options } from 'tsup'

export function packageBuild(pkg: { version: string }, overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: false,
    // Cleans dist/ whole, declarations and their tsbuildinfo included, so `tsc -b` must run
    // after tsup (it does, in scripts/build.mjs and each package's `build`), never before.
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    outDir: 'dist',
    define: { __TASKCAST_VERSION__: JSON.stringify(pkg.version) },
    ...overrides,
  }
}
