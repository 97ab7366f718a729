// The shape of one schema migration and how its SQL template becomes runnable SQL.

/**
 * One versioned schema change. `sql` is a template: `{{schema}}` and `{{prefix}}` are
 * replaced by the validated schema name and table prefix, always inside double quotes.
 */
export interface Migration {
  /** Applied in ascending order; never reused or renumbered once released. */
  version: number
  name: string
  sql: string
}

/** The SQL of `migration` for one schema and table prefix (both already validated). */
export function renderMigration(migration: Migration, schema: string, tablePrefix: string): string {
  return migration.sql.replaceAll('{{schema}}', schema).replaceAll('{{prefix}}', tablePrefix)
}
