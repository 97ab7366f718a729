// `GET /workers` across processes (SPEC §18), with real processes: A and B on one Redis. Each
// process lists every process's workers: a long-poll waiting on A and a WebSocket worker (a plain
// `ws` client process) holding a task on B appear on both, with their load, and leave both
// listings when they go. A process that stops answering (SIGSTOP) is left out after the short
// wait, instead of holding the listing up.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { ExampleProcess } from './support/example-process.js'
import { sdk } from './support/publisher.js'
import { servicesAvailable } from './support/services.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))
const TYPE = 'e2e.workers.listing'

interface Listed {
  workerId: string
  mode: string
  types?: string[]
  capacity?: number
  assigned?: number
  running?: number
  connectedAt?: number
}

/** What `GET /workers` of one process answers, sorted by worker, and how long it took. */
async function listing(baseUrl: string): Promise<{ workers: Listed[]; ms: number }> {
  const started = performance.now()
  const response = await fetch(`${baseUrl}/workers`)
  expect(response.status).toBe(200)
  const { workers } = (await response.json()) as { workers: Listed[] }
  return { workers: workers.sort((x, y) => x.workerId.localeCompare(y.workerId)), ms: performance.now() - started }
}

const ids = async (baseUrl: string) => (await listing(baseUrl)).workers.map(({ workerId }) => workerId)

if (await servicesAvailable('workers: GET /workers across processes', ['redis'])) {
  describe('GET /workers lists the workers of every process (A and B on Redis)', () => {
    const servers = twoProcesses('workers-listing')

    it('a long-poll on A and a WebSocket worker on B, with its load, on both; gone from both once they leave', async () => {
      const a = sdk(servers.a.url)
      expect((await listing(servers.a.url)).workers).toEqual([])

      const poll = new AbortController()
      // Types no task has: it waits for the whole test.
      const waiting = fetch(`${servers.a.url}/workers/pull?workerId=waiter&types=e2e.none&timeout=60000`, { signal: poll.signal }).catch(() => 'aborted')
      await expect.poll(() => ids(servers.b.url)).toEqual(['waiter'])

      const task = await a.createTask({ type: TYPE, assign: {} })
      const holder = ExampleProcess.start({ name: 'raw ws worker', cwd: FIXTURES, args: ['raw-ws-worker.mjs', servers.b.url, 'holder', TYPE, '1'] })
      await holder.waitForOutput(/^holding$/m)
      expect(holder.stdout).toContain(`assigned ${task.id}`)

      const expected = [
        { workerId: 'holder', types: [TYPE], mode: 'ws', capacity: 1, assigned: 1, running: 0, connectedAt: expect.any(Number) },
        { workerId: 'waiter', types: ['e2e.none'], mode: 'pull' },
      ]
      const onA = await listing(servers.a.url)
      const onB = await listing(servers.b.url)
      expect(onA.workers).toEqual(expected)
      expect(onB.workers).toEqual(onA.workers)
      // Every process answered, so neither waited for the timeout (250 ms).
      expect(Math.max(onA.ms, onB.ms)).toBeLessThan(250)

      expect(await holder.kill()).toEqual({ code: null, signal: 'SIGKILL' })
      await expect.poll(() => ids(servers.a.url)).toEqual(['waiter'])
      poll.abort()
      expect(await waiting).toBe('aborted')
      await expect.poll(() => ids(servers.b.url)).toEqual([])
      expect((await listing(servers.a.url)).workers).toEqual([])
      // The task the killed worker held went back (`worker-lost`) and waits for the next one.
      expect(await a.getTask(task.id)).toMatchObject({ status: 'pending' })
    })

    it('leaves out a process that does not answer, after the short wait', async () => {
      const poll = new AbortController()
      const waiting = fetch(`${servers.b.url}/workers/pull?workerId=frozen-waiter&types=e2e.none&timeout=60000`, { signal: poll.signal }).catch(() => 'aborted')
      await expect.poll(() => ids(servers.a.url)).toEqual(['frozen-waiter'])
      process.kill(servers.b.pid, 'SIGSTOP')
      try {
        const frozen = await listing(servers.a.url)
        expect(frozen.workers).toEqual([])
        expect(frozen.ms).toBeGreaterThanOrEqual(240)
        expect(frozen.ms).toBeLessThan(2000)
      } finally {
        process.kill(servers.b.pid, 'SIGCONT')
      }
      expect(await ids(servers.a.url)).toEqual(['frozen-waiter'])
      poll.abort()
      expect(await waiting).toBe('aborted')
      await expect.poll(() => ids(servers.a.url)).toEqual([])
    })
  })
}
