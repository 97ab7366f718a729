// The list of migrations, in the order they apply: one numbered file each, `NNNN-<name>.sql`.
// Add the file, import it here and append it; never edit or renumber a released one.
import init from './0001-init.sql?raw'
import seriesPlaces from './0002-series-places.sql?raw'
import taskIndex from './0003-task-index.sql?raw'
import { migrationFromFile, type Migration } from './migration.js'

/** All schema migrations of the store, ascending by version. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  migrationFromFile('0001-init.sql', init),
  migrationFromFile('0002-series-places.sql', seriesPlaces),
  migrationFromFile('0003-task-index.sql', taskIndex),
])
