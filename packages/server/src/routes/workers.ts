// Worker routes (SPEC §18): GET /workers/pull, the long-poll that hands a worker a pending task,
// and GET /workers, who waits here.
import { parseWorkerPullParams } from '@taskcast/core/wire'
import { requireScope } from '../auth/index.js'
import type { TaskcastHono } from '../route-context.js'
import { taskView } from '../task-view.js'
import type { PullWaiters } from '../workers/pull-waiters.js'

export function registerWorkerRoutes(app: TaskcastHono, waiters: PullWaiters): void {
  app.get('/workers/pull', requireScope('worker:pull'), async (c) => {
    // Read first: @hono/node-server wires a client's disconnect to the signal only once it exists.
    const signal = c.req.raw.signal
    const { timeoutMs, ...worker } = parseWorkerPullParams(new URL(c.req.url).searchParams)
    const task = await waiters.take(worker, timeoutMs, signal)
    return task ? c.json(taskView(task), 200) : c.body(null, 204)
  })
  app.get('/workers', requireScope('task:manage'), (c) =>
    c.json({ workers: waiters.waiting.map((worker) => ({ ...worker, mode: 'pull' as const })) }, 200),
  )
}
