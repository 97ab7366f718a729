// Assignment across processes and modes (SPEC §18): A and B on one Redis, 1,000 tasks created
// with `assign` (half through each), ten server-SDK workers of capacity 2, five on A (three
// pulling, two on a WebSocket) and five on B (two pulling, three on a WebSocket). Every task runs
// exactly once (handler runs counted per task id), every one ends completed by the worker it was
// assigned to, none is left pending, assigned or running, no worker ever holds more than its
// capacity (its `running` and its handlers in flight, sampled at each handler start), and both
// modes take a share: a long-poll and an offer race for the same tasks through one
// compare-and-set.
import type { Task, TaskListPage } from '@taskcast/core'
import { TaskcastServerClient, type TaskcastWorker, type WorkerErrorContext } from '@taskcast/server-sdk'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { twoProcesses } from './support/cluster.js'
import { sdk } from './support/publisher.js'
import { printSummary } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'

const TASKS = 1_000
const CAPACITY = 2
const TYPE = 'e2e.work'
type Mode = 'pull' | 'ws'
/** Each worker's process and mode: on A three pulling and two on a socket, on B the other way round. */
const LAYOUT: { on: 'a' | 'b'; mode: Mode }[] = [
  ...(['pull', 'pull', 'pull', 'ws', 'ws'] as const).map((mode) => ({ on: 'a' as const, mode })),
  ...(['pull', 'pull', 'ws', 'ws', 'ws'] as const).map((mode) => ({ on: 'b' as const, mode })),
]
const WORKERS = LAYOUT.length
/** Creations in flight at once. */
const CREATE_CONCURRENCY = 20

/** Every task of `TYPE` with one of `statuses`, over all pages. */
async function listAll(baseUrl: string, statuses: string): Promise<Task[]> {
  const tasks: Task[] = []
  let cursor = ''
  do {
    const page = (await (await fetch(`${baseUrl}/tasks?type=${TYPE}&status=${statuses}&limit=500${cursor && `&cursor=${cursor}`}`)).json()) as TaskListPage
    tasks.push(...page.tasks)
    cursor = page.nextCursor ?? ''
  } while (cursor)
  return tasks
}

if (await servicesAvailable('workers: every task runs exactly once across processes', ['redis'])) {
  describe('1,000 tasks, ten workers (five pulling, five on WebSockets) on two processes (Redis)', () => {
    const servers = twoProcesses('workers-once')

    it('runs every task exactly once in either mode, leaves none waiting, and never exceeds a worker’s capacity', async () => {
      const runs = new Map<string, number>()
      const ranBy = new Map<string, string>()
      const errors: [unknown, WorkerErrorContext][] = []
      const inFlight = Array.from({ length: WORKERS }, () => 0)
      const maxInFlight = Array.from({ length: WORKERS }, () => 0)
      const maxRunning = Array.from({ length: WORKERS }, () => 0)
      let allRan: () => void
      const everyTaskRan = new Promise<void>((resolve) => (allRan = resolve))

      const workers: TaskcastWorker[] = Array.from({ length: WORKERS }, (_, i) => {
        const { on, mode } = LAYOUT[i]!
        return new TaskcastServerClient({ baseUrl: servers[on].url }).worker({
          workerId: `w${i}-${on}-${mode}`,
          mode,
          ...(mode === 'ws' && { WebSocket }),
          types: [TYPE],
          capacity: CAPACITY,
          handler: async (task) => {
            inFlight[i]!++
            maxInFlight[i] = Math.max(maxInFlight[i]!, inFlight[i]!)
            maxRunning[i] = Math.max(maxRunning[i]!, workers[i]!.running)
            runs.set(task.id, (runs.get(task.id) ?? 0) + 1)
            ranBy.set(task.id, workers[i]!.workerId)
            // A moment of work, so that a worker's two slots overlap.
            await new Promise((resolve) => setTimeout(resolve, 2))
            inFlight[i]!--
            if (runs.size === TASKS) allRan()
            return { by: workers[i]!.workerId }
          },
          onError: (error, context) => errors.push([error, context]),
        })
      })

      const started = Date.now()
      const ids: string[] = []
      for (let next = 0; next < TASKS; next += CREATE_CONCURRENCY) {
        const batch = Array.from({ length: Math.min(CREATE_CONCURRENCY, TASKS - next) }, (_, j) => {
          const n = next + j
          return sdk(n % 2 === 0 ? servers.a.url : servers.b.url).createTask({ type: TYPE, params: { n }, assign: {} })
        })
        ids.push(...(await Promise.all(batch)).map((task) => task.id))
      }
      await everyTaskRan
      // Each worker ends the tasks it runs before its stop resolves.
      await Promise.all(workers.map((worker) => worker.stop()))
      const elapsedMs = Date.now() - started

      expect(errors).toEqual([])
      const duplicates = [...runs.values()].filter((count) => count > 1).length
      expect(runs.size).toBe(TASKS)
      expect(duplicates).toBe(0)
      expect([...runs.keys()].sort()).toEqual([...ids].sort())

      const leftovers = await listAll(servers.a.url, 'pending,assigned,running')
      expect(leftovers).toEqual([])
      expect(await listAll(servers.b.url, 'pending,assigned')).toEqual([])
      const completed = await listAll(servers.b.url, 'completed')
      expect(completed).toHaveLength(TASKS)
      for (const task of completed) {
        expect(task.result).toEqual({ by: ranBy.get(task.id) })
        expect(task.assignedTo?.workerId).toBe(ranBy.get(task.id))
      }

      const perWorker = workers.map((worker) => completed.filter((task) => task.assignedTo?.workerId === worker.workerId).length)
      expect(Math.max(...maxInFlight)).toBe(CAPACITY)
      expect(Math.max(...maxRunning)).toBe(CAPACITY)
      const perMode = { pull: 0, ws: 0 }
      const perProcessMode = { 'a-pull': 0, 'a-ws': 0, 'b-pull': 0, 'b-ws': 0 }
      perWorker.forEach((count, i) => {
        const { on, mode } = LAYOUT[i]!
        perMode[mode] += count
        perProcessMode[`${on}-${mode}`] += count
      })
      expect(perMode.pull + perMode.ws).toBe(TASKS)
      expect(perMode.pull).toBeGreaterThan(0)
      expect(perMode.ws).toBeGreaterThan(0)
      printSummary({
        scenario: 'workers exactly once across processes and modes',
        tasks: TASKS,
        workers: WORKERS,
        capacity: CAPACITY,
        runs: [...runs.values()].reduce((sum, count) => sum + count, 0),
        duplicates,
        leftovers: leftovers.length,
        maxConcurrency: Math.max(...maxInFlight),
        perWorker: Object.fromEntries(workers.map((worker, i) => [worker.workerId, perWorker[i]])),
        perMode,
        perProcessMode,
        elapsedMs,
        tasksPerSecond: Math.round((TASKS / elapsedMs) * 1000),
      })
    })
  })
}
