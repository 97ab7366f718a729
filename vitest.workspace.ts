import { defineWorkspace } from 'vitest/config'

// Every package is its own project; each one's vitest.config.ts (when present) sets its options.
// e2e holds the cross-package tests that start several real taskcast processes.
export default defineWorkspace(['packages/*', 'e2e'])
