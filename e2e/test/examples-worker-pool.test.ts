// examples/worker-pool, run as its README says: a standalone `taskcast` in memory, three workers
// (`node worker.mjs a|b` pulling, `node worker.mjs c --ws` over WebSocket) and the producer (`node producer.mjs`) creating 100
// tasks for them. Every task is completed exactly once, by one of the workers; the tallies the
// producer and the workers print agree; no task is left waiting.
import { join } from 'node:path'
import type { Task, TaskListPage } from '@taskcast/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES_DIR, ExampleProcess, runExample, startTaskcast } from './support/example-process.js'

const DIR = join(EXAMPLES_DIR, 'worker-pool')
const TASKS = 100
const NAMES = ['a', 'b', 'c'] as const

let taskcastUrl = ''

beforeAll(async () => {
  taskcastUrl = (await startTaskcast()).url
})

async function listTasks(query: string): Promise<Task[]> {
  const page = (await (await fetch(`${taskcastUrl}/tasks?type=report.render&limit=500&${query}`)).json()) as TaskListPage
  expect(page.nextCursor).toBeNull()
  return page.tasks
}

/** The worker started with `--ws`: the others pull. */
const WS_WORKER = 'c'

describe('examples/worker-pool', () => {
  it('three workers share 100 tasks: each completed once, the tallies agree, none left waiting', async () => {
    const workers = NAMES.map((name) =>
      ExampleProcess.start({
        name: `worker ${name}`,
        cwd: DIR,
        args: ['worker.mjs', name, ...(name === WS_WORKER ? ['--ws'] : [])],
        env: { TASKCAST_URL: taskcastUrl, WORK_MS: '20' },
      }),
    )
    await Promise.all(workers.map((worker, i) => worker.waitForOutput(new RegExp(`^worker ${NAMES[i]} \\((pull|ws)\\) taking tasks from `, 'm'))))
    // Every worker is waiting on the server (two long-polls, one socket past its hello) before the tasks come.
    const modes = async () => {
      const { workers: listed } = (await (await fetch(`${taskcastUrl}/workers`)).json()) as { workers: { workerId: string; mode: string }[] }
      // A pull worker of capacity 2 keeps two long-polls open: each is listed.
      return [...new Set(listed.map((worker) => `${worker.workerId}:${worker.mode}`))].sort()
    }
    for (let attempt = 0; attempt < 200 && (await modes()).length < NAMES.length; attempt++) await new Promise((resolve) => setTimeout(resolve, 25))
    expect(await modes()).toEqual(['pool-a:pull', 'pool-b:pull', `pool-${WS_WORKER}:ws`])

    const producer = ExampleProcess.start({ name: 'producer', cwd: DIR, args: ['producer.mjs'], env: { TASKCAST_URL: taskcastUrl } })
    expect(await producer.exit(), producer.describe()).toEqual({ code: 0, signal: null })
    const tally = /^all 100 completed; by worker: a=(\d+) b=(\d+) c=(\d+)$/m.exec(producer.stdout)
    expect(producer.stdout, producer.describe()).toMatch(/^created 100 tasks\n/)
    expect(tally, producer.describe()).not.toBeNull()
    const byProducer = tally!.slice(1).map(Number)

    const exits = await Promise.all(workers.map((worker) => worker.stop()))
    expect(exits).toEqual(NAMES.map(() => ({ code: 0, signal: null })))
    const ran = workers.map((worker, i) => {
      expect(worker.stderr, worker.describe()).toBe('')
      const ids = [...worker.stdout.matchAll(new RegExp(`^${NAMES[i]} completed (\\S+) \\(n=\\d+\\)$`, 'gm'))].map((match) => match[1]!)
      expect(worker.stdout).toMatch(new RegExp(`^worker ${NAMES[i]} stopped after ${ids.length} tasks$`, 'm'))
      return ids
    })
    console.log(`worker-pool: tasks per worker ${NAMES.map((name, i) => `${name}=${ran[i]!.length}`).join(' ')}`)
    expect(ran.map((ids) => ids.length)).toEqual(byProducer)
    // Each worker took some: the three long-polls were waiting when the tasks came.
    for (const ids of ran) expect(ids.length).toBeGreaterThan(0)

    // Exactly once: no task id twice across the workers, and every task of the run completed by the worker that says so.
    const all = ran.flat()
    expect(all).toHaveLength(TASKS)
    expect(new Set(all).size).toBe(TASKS)
    const completed = await listTasks('status=completed')
    expect(completed.map((task) => task.id).sort()).toEqual([...all].sort())
    const owner = new Map(ran.flatMap((ids, i) => ids.map((id) => [id, NAMES[i]] as const)))
    for (const task of completed) {
      expect(task.result).toEqual({ worker: owner.get(task.id), square: ((task.params as { n: number }).n) ** 2 })
      expect(task.assignedTo?.workerId).toBe(`pool-${owner.get(task.id)}`)
    }
    expect(await listTasks('status=pending,assigned,running')).toEqual([])
  })

  it('a worker without a name prints its usage and exits 2', async () => {
    const usage = await runExample({ name: 'worker', cwd: DIR, args: ['worker.mjs'], env: { TASKCAST_URL: taskcastUrl } })
    expect(usage).toEqual({ code: 2, signal: null, stdout: '', stderr: 'usage: node worker.mjs <name>\n' })
  })
})
