// The task list (SPEC §21) on the archive as one statement per page: a keyset range of the
// indexes of migration 0003, newest first, bounded to the rows one page may examine.
import type { Task, TaskIndexPage, TaskIndexQuery } from '@taskcast/core'
import { createdAtOfKey, matchesTaskQuery, taskIdOfKey, taskIndexBounds, taskIndexKey, TASK_LIST_SCAN_LIMIT } from '@taskcast/core/internal'
import { toTextColumn } from './text-column.js'

/** Ids in byte order, as the indexes keep them and as JavaScript compares the engine's (ASCII) ids. */
const NEWEST_FIRST = 'created_at DESC, id COLLATE "C" DESC'

/** A row of the statement: the page's tasks, and the last row examined (once more when it is one of them). */
export interface TaskIndexRow {
  id: string
  createdAt: number
  position: number
  examined: number
  /** The task on rows of the page; null on the row of the last one examined. */
  task: Task | null
}

export interface TaskIndexStatement {
  text: string
  values: unknown[]
  /** Rows the statement examines at most. */
  scanBound: number
}

/**
 * The statement for one page. Without a type filter every row examined is listed, so the scan
 * is the page; with one, it reads up to `TASK_LIST_SCAN_LIMIT` rows from the index alone and
 * fetches the tasks of the first `limit` that match.
 */
export function taskIndexStatement(table: string, query: TaskIndexQuery): TaskIndexStatement {
  const values: unknown[] = []
  const param = (value: unknown) => `$${values.push(value)}`
  const scanBound = query.types ? TASK_LIST_SCAN_LIMIT : query.limit
  const { below, atLeast } = taskIndexBounds(query)
  const range: string[] = []
  if (below !== undefined) range.push(`(created_at, id COLLATE "C") < (${param(createdAtOfKey(below))}, ${param(taskIdOfKey(below))})`)
  if (atLeast !== undefined) range.push(`created_at >= ${param(createdAtOfKey(atLeast))}`)
  const bound = param(scanBound)
  const scan = (status: string) =>
    `SELECT id, created_at, type FROM ${table} WHERE ${[status, ...range].join(' AND ')} ORDER BY ${NEWEST_FIRST} LIMIT ${bound}`
  // One range of the status index per status, merged (a Merge Append of index scans): the
  // newest rows of all of them are among the newest of each. Each status is a parameter of
  // its own, so the planner weighs each range by what it knows of that status.
  const statuses = query.statuses && [...new Set(query.statuses)]
  const scanned =
    statuses === undefined
      ? scan('TRUE')
      : statuses.length === 0
        ? scan('FALSE')
        : `SELECT * FROM (${statuses.map((status) => `(${scan(`status = ${param(status)}`)})`).join(' UNION ALL ')}) AS s
           ORDER BY ${NEWEST_FIRST} LIMIT ${bound}`
  // The page is joined to the table on its own (at most `limit` rows), so the plan looks its
  // tasks up by id rather than joining every row examined; the last row examined follows it.
  const text = `WITH scanned AS (${scanned}),
    ranked AS (
      SELECT id, created_at, matches, row_number() OVER (ORDER BY ${NEWEST_FIRST}) AS position, count(*) OVER () AS examined
      FROM (SELECT id, created_at, ${typeMatch(query.types, param)} AS matches FROM scanned) AS m
    ),
    page AS (SELECT * FROM ranked WHERE matches ORDER BY position LIMIT ${param(query.limit)})
    SELECT p.id, p.created_at::float8 AS "createdAt", p.position::int AS position, p.examined::int AS examined, t.task
    FROM page AS p JOIN ${table} AS t ON t.id = p.id
    UNION ALL
    SELECT id, created_at::float8, position::int, examined::int, NULL::json FROM ranked WHERE position = examined
    ORDER BY position`
  return { text, values, scanBound }
}

/** The page the statement's rows make. */
export function taskIndexPage(rows: TaskIndexRow[], query: TaskIndexQuery, scanBound: number): TaskIndexPage {
  const listed = rows.filter((row) => row.task !== null)
  // SQL's type match lets through a little more than `matchesType` (see `typeMatch`).
  const tasks = listed.map((row) => row.task!).filter((task) => matchesTaskQuery(task, query))
  const last = rows.at(-1)
  let next: string | null = null
  if (listed.length === query.limit) next = taskIndexKey(listed.at(-1)!)
  else if (last !== undefined && last.examined === scanBound) next = taskIndexKey(last)
  return { tasks, next }
}

/**
 * SQL matching `type` against `matchesType` patterns, on the column as `toTextColumn` wrote it:
 * exact for `*` and exact patterns; for `prefix.*`, every type starting with the prefix
 * (`matchesType` also wants it longer) in its plain or its escaped form.
 */
function typeMatch(types: readonly string[] | undefined, param: (value: unknown) => string): string {
  if (types === undefined) return 'TRUE'
  if (types.includes('*')) return 'type IS NOT NULL'
  const exact = types.filter((pattern) => !pattern.endsWith('.*')).map(toTextColumn)
  const prefixes = types
    .filter((pattern) => pattern.endsWith('.*'))
    // A type needing escapes is stored escaped whole, so its prefix appears as its JSON string body.
    .flatMap((pattern) => [toTextColumn(pattern.slice(0, -1)), JSON.stringify(pattern.slice(0, -1)).slice(1, -1)])
  return `(type = ANY(${param(exact)}::text[]) OR EXISTS (SELECT FROM unnest(${param(prefixes)}::text[]) AS p (prefix) WHERE left(type, length(prefix)) = prefix))`
}
