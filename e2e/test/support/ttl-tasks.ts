// Tasks with a TTL spread over several taskcast processes, and what the TTL scenarios read back:
// whether every task timed out, how many timeout status events each one logged, the deadlines
// Redis still holds, and the error lines a process printed.
import type { Task, TaskEvent } from '@taskcast/core'
import { Redis } from 'ioredis'
import { expect } from 'vitest'
import { pollUntil } from './outbox-archive.js'
import { sdk } from './publisher.js'
import type { TaskcastServer } from './taskcast-process.js'

export interface TtlTask {
  task: Task
  /** Moved to `running` before the deadline (through another process than the one that created it, when there is one). */
  started: boolean
  /** `createdAt + ttl * 1000`. */
  deadline: number
}

/**
 * Creates `count` tasks with `ttl` seconds, task i through process i mod n; every other task is
 * then started through process i + 1 mod n, so both pending and running tasks time out.
 */
export async function createTtlTasks(servers: TaskcastServer[], count: number, ttl: number, type = 'e2e.ttl'): Promise<TtlTask[]> {
  const tasks: TtlTask[] = []
  for (let i = 0; i < count; i++) {
    const task = await sdk(servers[i % servers.length]!.url).createTask({ type, ttl })
    const started = i % 2 === 1
    if (started) await sdk(servers[(i + 1) % servers.length]!.url).transitionTask(task.id, 'running')
    tasks.push({ task, started, deadline: task.createdAt + ttl * 1000 })
  }
  return tasks
}

/** Polls GET /tasks/:id (round robin over `servers`) until every task is `timeout`; resolves the stored tasks. */
export async function untilAllTimedOut(servers: TaskcastServer[], tasks: TtlTask[], timeoutMs: number): Promise<Task[]> {
  let stored: Task[] = []
  let round = 0
  await pollUntil(
    `all ${tasks.length} tasks timed out`,
    async () => {
      round++
      stored = await Promise.all(tasks.map(({ task }, i) => sdk(servers[(i + round) % servers.length]!.url).getTask(task.id))).then((all) => all.map((task) => task!))
      return stored.every((task) => task.status === 'timeout')
    },
    timeoutMs,
  )
  return stored
}

/** The status events of a log that moved the task to `timeout`. */
export function timeoutEvents(log: readonly TaskEvent[]): TaskEvent[] {
  return log.filter((event) => event.type === 'taskcast:status' && (event.data as { status: string }).status === 'timeout')
}

/**
 * The log of a task that timed out once: its status events and nothing else, the last one
 * the only `timeout`, from the status it had, with `TTL_EXPIRED`.
 */
export function expectTimedOutOnce(log: readonly TaskEvent[], started: boolean): void {
  expect(log.map((event) => [event.index, event.type, (event.data as { status: string }).status])).toEqual([
    ...(started ? [[0, 'taskcast:status', 'running']] : []),
    [started ? 1 : 0, 'taskcast:status', 'timeout'],
  ])
  expect(log.at(-1)!.data).toMatchObject({ status: 'timeout', previousStatus: started ? 'running' : 'pending', error: { code: 'TTL_EXPIRED' } })
}

/** How many tasks logged each number of timeout events: `{ 1: 20 }` when all 20 timed out once. */
export function histogram(counts: readonly number[]): Record<number, number> {
  const out: Record<number, number> = {}
  for (const count of counts) out[count] = (out[count] ?? 0) + 1
  return out
}

/** The deadlines of `taskIds` still in the shared sorted set (`<prefix>deadlines`): id → ms. */
export async function deadlinesHeld(redisUrl: string, keyPrefix: string, taskIds: readonly string[]): Promise<Map<string, number>> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  try {
    const scores = await client.zmscore(`${keyPrefix}deadlines`, ...taskIds)
    const held = new Map<string, number>()
    scores.forEach((score, i) => score !== null && held.set(taskIds[i]!, Number(score)))
    return held
  } finally {
    client.disconnect()
  }
}

/** The ERROR lines a process printed (text log format: `<time> ERROR <message> …`). */
export function errorLines(server: TaskcastServer): string[] {
  return server.log.split('\n').filter((line) => /^\S+ ERROR /.test(line))
}
