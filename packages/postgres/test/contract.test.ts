// The long-term store contract of @taskcast/core, unchanged, against the real server.
import { describeLongTermStoreContract } from '@taskcast/core/testing'
import { PostgresLongTermStore, runMigrations } from '../src/index.js'
import { createPool, describePostgres, dropSchema, randomName } from './postgres.js'

describePostgres('PostgresLongTermStore', () => {
  const schema = randomName('taskcast_test_contract_')
  const pool = createPool()

  describeLongTermStoreContract('postgres', {
    create: async () => {
      await runMigrations(pool, { schema })
      return new PostgresLongTermStore({ pool, schema })
    },
    cleanup: async (store) => {
      await store.close()
      await dropSchema(pool, schema)
      await pool.end()
    },
  })
})
