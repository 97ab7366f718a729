// A producer: creates tasks for workers (`assign`), then waits until every one has ended and
// prints how many each worker ran. It does not run anything itself.
//
//   node producer.mjs                # creates TASKS tasks (100), prints a tally once all completed
import { TaskcastError } from '@taskcast/core'
import { TaskcastServerClient } from '@taskcast/server-sdk'

const baseUrl = process.env.TASKCAST_URL ?? 'http://127.0.0.1:3721'
const count = Number(process.env.TASKS ?? 100)

const taskcast = new TaskcastServerClient({ baseUrl, token: process.env.TASKCAST_TOKEN })

try {
  // `assign` makes each task wait for a worker; leaseMs: how long a worker may hold one without
  // starting it before it is offered to another.
  const tasks = await Promise.all(
    Array.from({ length: count }, (_, n) => taskcast.createTask({ type: 'report.render', params: { n }, assign: { leaseMs: 10_000 } })),
  )
  console.log(`created ${tasks.length} tasks`)

  // Each wait follows the task's status events; it rejects with TASK_NOT_RUNNING should the task
  // end any other way (failed, cancelled).
  const done = await Promise.all(tasks.map(({ id }) => taskcast.waitForStatus(id, ['completed'])))
  const byWorker = {}
  for (const { result } of done) byWorker[result.worker] = (byWorker[result.worker] ?? 0) + 1
  const tally = Object.entries(byWorker)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([worker, ran]) => `${worker}=${ran}`)
  console.log(`all ${count} completed; by worker: ${tally.join(' ')}`)
} catch (error) {
  if (!TaskcastError.isInstance(error)) throw error
  console.error(`error: ${error.code}: ${error.message}`)
  process.exitCode = 1
}
