import { defineWorkspace } from 'vitest/config'

// Every package is its own project; each one's vitest.config.ts (when present) sets its options.
export default defineWorkspace(['packages/*'])
