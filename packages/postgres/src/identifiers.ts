// SQL identifiers built from user options: validated once, then always double-quoted.
import { TaskcastError } from '@taskcast/core'

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/
// PostgreSQL truncates longer names silently, which would make two tables collide.
const MAX_IDENTIFIER_LENGTH = 63
// The longest suffix appended to the prefix (index names included), so every name fits.
const LONGEST_SUFFIX = 'events_series_key'.length

/** Quoted, schema-qualified names of every object the store uses. */
export interface TableNames {
  schema: string
  tasks: string
  events: string
  migrations: string
  /** The function merging runs of compacted series places (migration 0002). */
  mergeRuns: string
}

/**
 * @param field the option `value` came from (`schema`, `tablePrefix`), named in the message and in `details.field`.
 * @throws TaskcastError `VALIDATION_ERROR` when `value` is not a plain lower-case identifier.
 */
export function assertIdentifier(value: string, field: string, maxLength = MAX_IDENTIFIER_LENGTH): void {
  if (typeof value !== 'string' || !IDENTIFIER.test(value) || value.length > maxLength) {
    throw new TaskcastError(
      'VALIDATION_ERROR',
      `${field} must match ${String(IDENTIFIER)} and be at most ${maxLength} characters`,
      { details: { field, value } },
    )
  }
}

/**
 * Validates `schema` and `tablePrefix` (the store's and `runMigrations`' options, checked before
 * any connection is made), then returns the quoted names built from them.
 */
export function tableNames(schema: string, tablePrefix: string): TableNames {
  assertIdentifier(schema, 'schema')
  // An empty prefix is allowed: the tables are then simply `tasks`, `events`, `migrations`.
  if (tablePrefix !== '') assertIdentifier(tablePrefix, 'tablePrefix', MAX_IDENTIFIER_LENGTH - LONGEST_SUFFIX)
  const qualified = (table: string) => `"${schema}"."${tablePrefix}${table}"`
  return {
    schema: `"${schema}"`,
    tasks: qualified('tasks'),
    events: qualified('events'),
    migrations: qualified('migrations'),
    mergeRuns: qualified('merge_runs'),
  }
}
