import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'
import pkg from './package.json' with { type: 'json' }

export default defineConfig(packageBuild(pkg))
