import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'
import pkg from './package.json' with { type: 'json' }

// The migrations stay one numbered .sql file each in src/migrations/ and are inlined as
// strings (imported as `./NNNN-<name>.sql?raw`, as in @taskcast/postgres). Node platform: the
// stores check the file with node:fs before SQLite opens it.
export default defineConfig(packageBuild(pkg, { loader: { '.sql': 'text' }, platform: 'node', target: 'node20' }))
