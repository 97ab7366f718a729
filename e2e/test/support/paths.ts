// Where the repository's built packages live.
import { fileURLToPath } from 'node:url'

export const REPO_DIR = fileURLToPath(new URL('../../..', import.meta.url))
/** The `taskcast` binary, run as users run it. */
export const BIN = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url))
