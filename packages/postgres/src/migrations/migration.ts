// The shape of one schema migration, where it comes from, and how its SQL template becomes runnable SQL.

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

/** `NNNN-<name>.sql`: the version, then the name recorded in the migrations table. */
const MIGRATION_FILE = /^(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)\.sql$/

/** The file a migration lives in, e.g. `0001-init.sql`. */
export function migrationFile(migration: Pick<Migration, 'version' | 'name'>): string {
  return `${String(migration.version).padStart(4, '0')}-${migration.name}.sql`
}

/** A migration from its file name (which gives the version and name) and the file's SQL. */
export function migrationFromFile(file: string, sql: string): Migration {
  const match = MIGRATION_FILE.exec(file)
  if (!match) throw new Error(`migration file ${file} is not named NNNN-<name>.sql`)
  return { version: Number(match[1]), name: match[2]!, sql }
}

/** The SQL of `migration` for one schema and table prefix (both already validated). */
export function renderMigration(migration: Migration, schema: string, tablePrefix: string): string {
  return migration.sql.replaceAll('{{schema}}', schema).replaceAll('{{prefix}}', tablePrefix)
}
