// A WebSocket worker lost with tasks assigned (SPEC §18, push mode), with real processes: A and B
// on one Redis. A worker process (test/fixtures/raw-ws-worker.mjs, a plain `ws` client) connected
// to A accepts three tasks, never starts them, and is SIGKILLed. Its socket closing is what gives
// them back: each is pending again at once (`reason: 'worker-lost'`), long before its 60 s lease
// could, and a WebSocket worker connected to B runs it.
import { fileURLToPath } from 'node:url'
import { TaskcastServerClient, type WorkerErrorContext } from '@taskcast/server-sdk'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { twoProcesses } from './support/cluster.js'
import { ExampleProcess } from './support/example-process.js'
import { sdk } from './support/publisher.js'
import { printSummary } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'
import { statusMoves } from './support/status-moves.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))
const TYPE = 'e2e.ws.lost'
const TASKS = 3
/** Far longer than the test: a task back within `BACK_WITHIN_MS` came back through the closed socket. */
const LEASE_MS = 60_000
/** The kernel closes a killed process's sockets at once; the rest is one release in Redis. */
const BACK_WITHIN_MS = 2000

/** The workers `GET /workers` lists on one process. */
async function workersOn(baseUrl: string): Promise<{ workerId: string; mode: string; capacity: number; assigned: number; running: number }[]> {
  const response = await fetch(`${baseUrl}/workers`)
  expect(response.status).toBe(200)
  return ((await response.json()) as { workers: { workerId: string; mode: string; capacity: number; assigned: number; running: number }[] }).workers
}

if (await servicesAvailable('workers: a lost WebSocket worker’s tasks come back at once', ['redis'])) {
  describe('a WebSocket worker SIGKILLed while holding assigned tasks (A and B on Redis)', () => {
    const servers = twoProcesses('workers-ws-lost')

    it('each task back to pending at once (worker-lost, not its lease), then run by a WebSocket worker on B', async () => {
      const a = sdk(servers.a.url)
      const b = sdk(servers.b.url)
      const ids = (await Promise.all(Array.from({ length: TASKS }, () => a.createTask({ type: TYPE, assign: { leaseMs: LEASE_MS } })))).map((task) => task.id)

      const doomed = ExampleProcess.start({ name: 'raw ws worker', cwd: FIXTURES, args: ['raw-ws-worker.mjs', servers.a.url, 'doomed', TYPE, String(TASKS)] })
      await doomed.waitForOutput(/^holding$/m)
      expect([...doomed.stdout.matchAll(/^assigned (\S+)$/gm)].map((match) => match[1]).sort()).toEqual([...ids].sort())
      for (const id of ids) expect(await a.getTask(id)).toMatchObject({ status: 'assigned', assignedTo: { workerId: 'doomed' } })
      expect(await workersOn(servers.a.url)).toEqual([expect.objectContaining({ workerId: 'doomed', mode: 'ws', capacity: TASKS, assigned: TASKS, running: 0 })])

      // Connected before the kill, so that it takes each task as soon as it is pending again.
      const errors: [unknown, WorkerErrorContext][] = []
      const ran: string[] = []
      const rescuer = new TaskcastServerClient({ baseUrl: servers.b.url }).worker({
        workerId: 'rescuer',
        mode: 'ws',
        WebSocket,
        types: [TYPE],
        capacity: TASKS,
        handler: async (task) => (ran.push(task.id), { rescued: true }),
        onError: (error, context) => errors.push([error, context]),
      })
      // B lists A's worker too: GET /workers asks every process.
      await expect.poll(async () => (await workersOn(servers.b.url)).map(({ workerId }) => workerId).sort()).toEqual(['doomed', 'rescuer'])

      const killedAt = Date.now()
      expect(await doomed.kill()).toEqual({ code: null, signal: 'SIGKILL' })
      for (const id of ids) expect(await b.waitForStatus(id, ['completed'])).toMatchObject({ result: { rescued: true } })
      await rescuer.stop()
      expect(errors).toEqual([])
      expect(ran.sort()).toEqual([...ids].sort())

      const backAfterMs: number[] = []
      const rescuedAfterMs: number[] = []
      for (const id of ids) {
        const moves = await statusMoves(b, id)
        expect(
          moves.map(({ move }) => move),
          id,
        ).toEqual(['assigned:doomed', 'pending:worker-lost', 'assigned:rescuer', 'running', 'completed'])
        const back = moves[1]!.at - killedAt
        expect(back).toBeGreaterThanOrEqual(0)
        expect(back).toBeLessThan(BACK_WITHIN_MS)
        backAfterMs.push(back)
        rescuedAfterMs.push(moves[2]!.at - killedAt)
      }
      expect(await workersOn(servers.a.url)).toEqual([])
      for (const server of [servers.a, servers.b]) {
        const page = (await (await fetch(`${server.url}/tasks?status=pending,assigned,running`)).json()) as { tasks: unknown[] }
        expect(page.tasks).toEqual([])
      }
      printSummary({ scenario: 'WebSocket worker SIGKILLed holding assigned tasks', tasks: TASKS, leaseMs: LEASE_MS, backAfterMs, rescuedAfterMs })
    })
  })
}
