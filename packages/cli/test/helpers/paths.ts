// Where the package under test lives.
import { fileURLToPath } from 'node:url'

export const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url))
