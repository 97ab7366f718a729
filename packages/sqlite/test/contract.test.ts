// Core's contract suites, unchanged, against SQLite files (one per suite).
import {
  describeDeliveryLeaseContract,
  describeLongTermStoreContract,
  describeShortTermStoreContract,
} from '@taskcast/core/testing'
import { SqliteLongTermStore, SqliteShortTermStore } from '../src/index.js'
import { tempDatabasePath } from './temp-database.js'

describeShortTermStoreContract('sqlite', {
  create: () => new SqliteShortTermStore({ path: tempDatabasePath() }),
  deadlines: true,
})

describeLongTermStoreContract('sqlite', {
  create: () => new SqliteLongTermStore({ path: tempDatabasePath() }),
})

// Both stores in one file, as the CLI runs them by default: their tables are apart.
const shared = tempDatabasePath('shared.db')
describeLongTermStoreContract('sqlite, sharing a file with a short-term store', {
  create: () => {
    new SqliteShortTermStore({ path: shared }).close()
    return new SqliteLongTermStore({ path: shared })
  },
})

describeDeliveryLeaseContract('sqlite', { create: () => new SqliteShortTermStore({ path: tempDatabasePath() }) })
