import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'
import pkg from './package.json' with { type: 'json' }

// The Lua scripts stay one file each in src/commands/ and are inlined as strings.
export default defineConfig(packageBuild(pkg, { loader: { '.lua': 'text' } }))
