// Migrations: the list and the runner.
export { MIGRATIONS } from './all.js'
export type { Migration } from './migration.js'
export { runMigrations, MIGRATIONS_TABLE } from './run-migrations.js'
export type { AppliedMigration } from './run-migrations.js'
