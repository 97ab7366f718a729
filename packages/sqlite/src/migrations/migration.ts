// The shape of one schema migration and where it comes from: one numbered .sql file each.

/** One versioned schema change. */
export interface Migration {
  /** Applied in ascending order; never reused or renumbered once released. */
  version: number
  name: string
  sql: string
}

/** `NNNN-<name>.sql`: the version, then the name recorded in the migrations table. */
const MIGRATION_FILE = /^(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)\.sql$/

/** A migration from its file name (which gives the version and name) and the file's SQL. */
export function migrationFromFile(file: string, sql: string): Migration {
  const match = MIGRATION_FILE.exec(file)
  if (!match) throw new Error(`migration file ${file} is not named NNNN-<name>.sql`)
  return { version: Number(match[1]), name: match[2]!, sql }
}
