// @taskcast/sqlite — the embedded persistent stores of Taskcast: short-term and long-term in one SQLite file.
export { SqliteShortTermStore } from './sqlite-short-term-store.js'
export { SqliteLongTermStore } from './sqlite-long-term-store.js'
export { SYNCHRONOUS_LEVELS } from './options.js'
export type { SqliteShortTermStoreOptions, SqliteLongTermStoreOptions, SqliteDatabaseOptions, SqliteSynchronous } from './options.js'
export { MIGRATIONS } from './migrations/index.js'
export type { Migration, AppliedMigration } from './migrations/index.js'
