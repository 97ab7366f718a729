// Assignment across processes (SPEC §18): A and B on one Redis, 1,000 tasks created with
// `assign` (half through each), ten server-SDK workers of capacity 2, five pulling from A and
// five from B. Every task runs exactly once (handler runs counted per task id), every one ends
// completed by the worker it was assigned to, none is left pending, assigned or running, and no
// worker ever holds more than its capacity (its `running` and its handlers in flight, sampled at
// each handler start).
import type { Task, TaskListPage } from '@taskcast/core'
import { TaskcastServerClient, type TaskcastWorker, type WorkerErrorContext } from '@taskcast/server-sdk'
import { describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { sdk } from './support/publisher.js'
import { printSummary } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'

const TASKS = 1_000
const WORKERS = 10
const CAPACITY = 2
const TYPE = 'e2e.work'
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
  describe('1,000 tasks, ten workers pulling from two processes (Redis)', () => {
    const servers = twoProcesses('workers-once')

    it('runs every task exactly once, leaves none waiting, and never exceeds a worker’s capacity', async () => {
      const runs = new Map<string, number>()
      const ranBy = new Map<string, string>()
      const errors: [unknown, WorkerErrorContext][] = []
      const inFlight = Array.from({ length: WORKERS }, () => 0)
      const maxInFlight = Array.from({ length: WORKERS }, () => 0)
      const maxRunning = Array.from({ length: WORKERS }, () => 0)
      let allRan: () => void
      const everyTaskRan = new Promise<void>((resolve) => (allRan = resolve))

      const workers: TaskcastWorker[] = Array.from({ length: WORKERS }, (_, i) => {
        const baseUrl = i < WORKERS / 2 ? servers.a.url : servers.b.url
        return new TaskcastServerClient({ baseUrl }).worker({
          workerId: `w${i}-${i < WORKERS / 2 ? 'a' : 'b'}`,
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
      printSummary({
        scenario: 'workers exactly once across processes',
        tasks: TASKS,
        workers: WORKERS,
        capacity: CAPACITY,
        runs: [...runs.values()].reduce((sum, count) => sum + count, 0),
        duplicates,
        leftovers: leftovers.length,
        maxConcurrency: Math.max(...maxInFlight),
        perWorker,
        elapsedMs,
        tasksPerSecond: Math.round((TASKS / elapsedMs) * 1000),
      })
    })
  })
}
