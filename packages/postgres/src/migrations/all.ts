// The list of migrations, in the order they apply. Add a file per migration and append it here.
import { migration0001 } from './0001-init.js'
import type { Migration } from './migration.js'

/** All schema migrations of the store, ascending by version. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([migration0001])
