// Migrations: the list, the template renderer and the runner.
export { MIGRATIONS } from './all.js'
export { renderMigration } from './migration.js'
export type { Migration } from './migration.js'
export { runMigrations } from './run-migrations.js'
export type { RunMigrationsOptions, AppliedMigration } from './run-migrations.js'
