// Where the repository's built packages live.
import { fileURLToPath } from 'node:url'

export const REPO_DIR = fileURLToPath(new URL('../../..', import.meta.url))
/** The `taskcast` binary, run as users run it. */
export const BIN = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url))
/** The benchmark's preload that forces a full GC on request over IPC (see bench/README.md). */
export const GC_PRELOAD = fileURLToPath(new URL('../../../bench/src/gc-preload.mjs', import.meta.url))
