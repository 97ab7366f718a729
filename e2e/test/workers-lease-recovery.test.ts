// Leases (SPEC §18) with real processes: A and B on one Redis. A worker that takes tasks and is
// then lost does not lose them for good: once their lease lapses they go back to pending
// (`reason: 'lease-expired'`) and a worker pulling from the other process runs them.
// 1. A worker process (test/fixtures/raw-puller.mjs, plain HTTP) holds three tasks assigned and
//    is SIGKILLed.
// 2. A pull whose answer the worker never read: a raw socket sends the request and hangs up as
//    soon as the first bytes of the 200 arrive.
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { TaskcastServerClient, type WorkerErrorContext } from '@taskcast/server-sdk'
import { describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { ExampleProcess } from './support/example-process.js'
import { sdk } from './support/publisher.js'
import { printSummary } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'
import { statusMoves } from './support/status-moves.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))
const LEASE_MS = 1000
/** A lapsed lease is found by a sweep about once a second; this bounds the whole return. */
const RETURN_WITHIN_MS = LEASE_MS + 3000

/** Sends a pull over a raw socket and destroys it when the first bytes of the answer arrive; resolves with them. */
function pullAndHangUp(baseUrl: string, query: URLSearchParams): Promise<string> {
  const { hostname, port } = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`GET /workers/pull?${query} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`)
    })
    socket.once('data', (chunk: Buffer) => {
      socket.destroy()
      resolve(chunk.toString('latin1').split('\r\n')[0]!)
    })
    socket.once('error', reject)
  })
}

if (await servicesAvailable('workers: a lost worker’s tasks come back after their lease', ['redis'])) {
  describe('a worker lost while holding assigned tasks (A and B on Redis)', () => {
    const servers = twoProcesses('workers-lease')
    const errors: [unknown, WorkerErrorContext][] = []

    /** Runs the tasks of `type` with a worker pulling from B until each of `taskIds` completed. */
    async function rescue(type: string, taskIds: string[]): Promise<string[]> {
      const ran: string[] = []
      const client = new TaskcastServerClient({ baseUrl: servers.b.url })
      const worker = client.worker({
        workerId: 'rescuer',
        types: [type],
        capacity: taskIds.length,
        handler: async (task) => (ran.push(task.id), { rescued: true }),
        onError: (error, context) => errors.push([error, context]),
      })
      for (const id of taskIds) expect(await client.waitForStatus(id, ['completed'])).toMatchObject({ result: { rescued: true } })
      await worker.stop()
      expect(errors).toEqual([])
      return ran.sort()
    }

    /** Each task went back after its lease, and then to the rescuer; resolves the times it took to go back. */
    async function expectReturned(taskIds: string[], lostWorker: string): Promise<number[]> {
      const b = sdk(servers.b.url)
      const returns: number[] = []
      for (const id of taskIds) {
        const moves = await statusMoves(b, id)
        expect(moves.map(({ move }) => move), id).toEqual([
          `assigned:${lostWorker}`,
          'pending:lease-expired',
          'assigned:rescuer',
          'running',
          'completed',
        ])
        const back = moves[1]!.at - moves[0]!.at
        expect(back).toBeGreaterThanOrEqual(LEASE_MS)
        expect(back).toBeLessThan(RETURN_WITHIN_MS)
        returns.push(back)
      }
      for (const server of [servers.a, servers.b]) {
        const page = (await (await fetch(`${server.url}/tasks?status=pending,assigned,running`)).json()) as { tasks: unknown[] }
        expect(page.tasks).toEqual([])
      }
      return returns
    }

    it('a worker process SIGKILLed with three tasks assigned: each back to pending after its lease, then run through B', async () => {
      const type = 'e2e.lease.killed'
      const a = sdk(servers.a.url)
      const ids = (await Promise.all([0, 1, 2].map(() => a.createTask({ type, assign: { leaseMs: LEASE_MS } })))).map((task) => task.id)
      const puller = ExampleProcess.start({ name: 'raw puller', cwd: FIXTURES, args: ['raw-puller.mjs', servers.a.url, 'doomed', type, '3'] })
      await puller.waitForOutput(/^holding$/m)
      expect([...puller.stdout.matchAll(/^assigned (\S+)$/gm)].map((match) => match[1]).sort()).toEqual([...ids].sort())
      for (const id of ids) expect(await a.getTask(id)).toMatchObject({ status: 'assigned', assignedTo: { workerId: 'doomed' } })
      expect(await puller.kill()).toEqual({ code: null, signal: 'SIGKILL' })

      expect(await rescue(type, ids)).toEqual([...ids].sort())
      const returns = await expectReturned(ids, 'doomed')
      printSummary({ scenario: 'worker SIGKILLed holding assigned tasks', tasks: ids.length, leaseMs: LEASE_MS, backAfterMs: returns })
    })

    it('a pull whose answer was never read: the task back to pending after its lease, then run through B', async () => {
      const type = 'e2e.lease.unread'
      const a = sdk(servers.a.url)
      const task = await a.createTask({ type, assign: { leaseMs: LEASE_MS } })
      const statusLine = await pullAndHangUp(servers.a.url, new URLSearchParams({ workerId: 'deaf', types: type, timeout: '5000' }))
      expect(statusLine).toBe('HTTP/1.1 200 OK')
      // The server answered, so for it the task is the deaf worker's until the lease says otherwise.
      expect(await a.getTask(task.id)).toMatchObject({ status: 'assigned', assignedTo: { workerId: 'deaf' } })

      expect(await rescue(type, [task.id])).toEqual([task.id])
      const returns = await expectReturned([task.id], 'deaf')
      printSummary({ scenario: 'pull answer never read', tasks: 1, leaseMs: LEASE_MS, backAfterMs: returns })
    })
  })
}
