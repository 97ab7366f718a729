// What the archive-outbox scenarios read from the outside: the archive's rows straight from
// PostgreSQL (not through the proxy the servers use), the outbox sorted set in Redis, and
// a bounded poll for the archive to catch up.
import { Redis } from 'ioredis'
import type { Client } from 'pg'
import { REDIS_URL } from './services.js'

export interface ArchivedEvent {
  idx: number
  id: string
  type: string
  data: unknown
}

export interface ArchiveCounts {
  /** Rows in the tasks table for the given ids. */
  tasks: number
  /** Rows in the events table for the given task ids. */
  events: number
}

export async function archiveCounts(db: Client, schema: string, taskIds: string[]): Promise<ArchiveCounts> {
  const { rows } = await db.query<{ tasks: string; events: string }>(
    `SELECT (SELECT count(*) FROM "${schema}"."taskcast_tasks" WHERE id = ANY($1::text[])) AS tasks,
            (SELECT count(*) FROM "${schema}"."taskcast_events" WHERE task_id = ANY($1::text[])) AS events`,
    [taskIds],
  )
  return { tasks: Number(rows[0]!.tasks), events: Number(rows[0]!.events) }
}

export async function archivedEvents(db: Client, schema: string, taskId: string): Promise<ArchivedEvent[]> {
  const { rows } = await db.query<ArchivedEvent>(
    `SELECT idx, id, type, data FROM "${schema}"."taskcast_events" WHERE task_id = $1 ORDER BY idx`,
    [taskId],
  )
  return rows
}

export async function archivedStatus(db: Client, schema: string, taskId: string): Promise<string | null> {
  const { rows } = await db.query<{ status: string }>(`SELECT status FROM "${schema}"."taskcast_tasks" WHERE id = $1`, [taskId])
  return rows[0]?.status ?? null
}

/** The archive outbox of a key prefix: task id → score (ms of the last touch). */
export async function outboxEntries(keyPrefix: string): Promise<Map<string, number>> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  try {
    const flat = await client.zrange(`${keyPrefix}outbox`, 0, -1, 'WITHSCORES')
    const entries = new Map<string, number>()
    for (let i = 0; i < flat.length; i += 2) entries.set(flat[i]!, Number(flat[i + 1]))
    return entries
  } finally {
    client.disconnect()
  }
}

/** Polls `check` every 100 ms until it holds; fails after `timeoutMs` with `what`. Resolves the time it took. */
export async function pollUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`after ${timeoutMs} ms, still not: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return Date.now() - started
}
