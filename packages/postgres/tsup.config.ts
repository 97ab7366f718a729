import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'
import pkg from './package.json' with { type: 'json' }

// The migrations stay one numbered .sql file each in src/migrations/ and are inlined as
// strings. They are imported as `./NNNN-<name>.sql?raw`: esbuild drops the suffix when
// resolving and applies this loader; under vitest, Vite reads `?raw` itself.
export default defineConfig(packageBuild(pkg, { loader: { '.sql': 'text' } }))
