// @taskcast/postgres — PostgreSQL long-term store and its migrations.
export { PostgresLongTermStore } from './postgres-long-term-store.js'
export { MIGRATIONS, runMigrations } from './migrations/index.js'
export type { Migration, RunMigrationsOptions, AppliedMigration } from './migrations/index.js'
export type { PostgresLongTermStoreOptions } from './options.js'
