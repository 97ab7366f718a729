// Scale-out: a producer's cancellation signal and its wait for an answer, on process A, hear of
// what happens through process B (both standalone servers on one Redis; SPEC §16, §17).
// 1. `cancellationSignal` on A aborts, with the cancel's reason, within 1 s of a cancel made
//    through B (the latency of each round is measured and printed).
// 2. `waitForStatus` on A through a TCP proxy whose link is cut while it waits: the answer is
//    given through B while the link is down, and the wait still resolves with the running task,
//    its stream resumed after the last event it had.
import { TaskcastError } from '@taskcast/core'
import { TaskcastServerClient } from '@taskcast/server-sdk'
import { afterEach, describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { sdk } from './support/publisher.js'
import { printSummary } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'
import { hostAndPort, TcpProxy } from './support/tcp-proxy.js'

const ROUNDS = 10
const MAX_LATENCY_MS = 1000
const QUESTION = { type: 'approval', data: { tool: 'deploy', env: 'prod' } }

/**
 * A fetch that tells the test about the SSE requests it carries (how many started, each one that
 * connected, its response arrived, or failed to) and about the reads of the task answered.
 */
class StreamWatchingFetch {
  readonly streams: string[] = []
  private connected = 0
  private failed = 0
  private taskReads = 0
  private readonly waiters = new Set<() => void>()

  readonly fetch: typeof fetch = async (input, init) => {
    const url = String(input)
    const { pathname } = new URL(url)
    const reading = (init?.method ?? 'GET') === 'GET'
    const isStream = reading && pathname.endsWith('/events')
    if (isStream) this.streams.push(url)
    try {
      const response = await fetch(input, init)
      if (isStream) this.connected++
      else if (reading && /^\/tasks\/[^/]+$/.test(pathname)) this.taskReads++
      return response
    } catch (error) {
      if (isStream) this.failed++
      throw error
    } finally {
      for (const waiter of [...this.waiters]) waiter()
    }
  }

  /** Resolves once `count` SSE requests connected. */
  connectedStreams(count: number): Promise<void> {
    return this.until(() => this.connected >= count)
  }

  /** Resolves once `count` SSE requests failed to connect. */
  failedStreams(count: number): Promise<void> {
    return this.until(() => this.failed >= count)
  }

  /** Resolves once `count` reads of a task (`GET /tasks/:id`) were answered. */
  answeredTaskReads(count: number): Promise<void> {
    return this.until(() => this.taskReads >= count)
  }

  private until(predicate: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!predicate()) return
        this.waiters.delete(check)
        resolve()
      }
      this.waiters.add(check)
      check()
    })
  }
}

function aborted(signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(performance.now()), { once: true }))
}

if (await servicesAvailable('scale-out: cancellation and answers reach a producer on another process', ['redis'])) {
  describe('a producer on A, a person acting through B', () => {
    const servers = twoProcesses('cancel-across')
    let proxy: TcpProxy | undefined
    afterEach(async () => {
      await proxy?.close()
      proxy = undefined
    })

    it(`aborts A's cancellation signal within ${MAX_LATENCY_MS} ms of a cancel through B`, async () => {
      const latencies: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        const watching = new StreamWatchingFetch()
        const producer = new TaskcastServerClient({ baseUrl: servers.a.url, fetch: watching.fetch })
        const task = await producer.createTask({ type: 'e2e.cancel-across' })
        await producer.transitionTask(task.id, 'running')
        const signal = producer.cancellationSignal(task.id)
        const abort = aborted(signal)
        await watching.connectedStreams(1)

        const cancelledAt = performance.now()
        const cancelled = await sdk(servers.b.url).cancelTask(task.id, `stop ${round}`)
        expect(cancelled.status).toBe('cancelled')
        latencies.push((await abort) - cancelledAt)

        expect(TaskcastError.isInstance(signal.reason)).toBe(true)
        const reason = signal.reason as TaskcastError
        expect([reason.code, reason.details]).toEqual(['TASK_NOT_RUNNING', { taskId: task.id, status: 'cancelled', reason: `stop ${round}` }])
        // A producer's publish after the cancel is refused with the same code.
        const refused = await producer.publishEvent(task.id, { type: 'late' }).catch((error: unknown) => error)
        expect((refused as TaskcastError).code).toBe('TASK_NOT_RUNNING')
        expect(watching.streams).toHaveLength(1)
      }
      const sorted = [...latencies].sort((x, y) => x - y)
      const round1 = (ms: number): number => Math.round(ms * 10) / 10
      printSummary({
        scenario: 'cancellationSignal on A, cancel through B',
        rounds: ROUNDS,
        latencyMsP50: round1(sorted[Math.floor(ROUNDS / 2)]!),
        latencyMsMax: round1(sorted.at(-1)!),
        latenciesMs: latencies.map(round1),
      })
      expect(sorted.at(-1)!).toBeLessThan(MAX_LATENCY_MS)
    })

    it("keeps A's waitForStatus through a cut link, and resolves with the answer given through B meanwhile", async () => {
      proxy = await TcpProxy.start(hostAndPort(servers.a.url, 80))
      const watching = new StreamWatchingFetch()
      const producer = new TaskcastServerClient({ baseUrl: proxy.rewrite(servers.a.url), fetch: watching.fetch })
      const task = await sdk(servers.a.url).createTask({ type: 'e2e.wait-across' })
      await sdk(servers.a.url).transitionTask(task.id, 'running')
      await sdk(servers.a.url).transitionTask(task.id, 'blocked', { request: QUESTION, reason: 'needs approval' })

      const waiting = producer.waitForStatus(task.id, ['running'])
      void waiting.catch(() => {})
      // The first look, the stream, and the look that the replayed (old) `running` asks for: from
      // here on, only the stream can bring the answer.
      await watching.connectedStreams(1)
      await watching.answeredTaskReads(2)
      proxy.down()
      // The stream noticed: a reconnect was refused while the link is down.
      await watching.failedStreams(1)
      const resolved = await sdk(servers.b.url).resolveTask(task.id, { approved: true, by: 'alice' })
      expect(resolved.status).toBe('running')
      proxy.up()

      const answered = await waiting
      expect(answered).toMatchObject({ id: task.id, status: 'running', resolution: { approved: true, by: 'alice' } })
      expect(answered).not.toHaveProperty('blockedRequest')
      // The stream that got the answer (after at least one refused attempt) resumed after the
      // last event the first one delivered.
      const [first, ...reconnects] = watching.streams.map((url) => new URL(url).searchParams)
      expect(first!.get('since.id')).toBeNull()
      expect(reconnects.length).toBeGreaterThanOrEqual(2)
      const log = await sdk(servers.b.url).getHistory(task.id)
      for (const reconnect of reconnects) expect(reconnect.get('since.id')).toBe(log[1]!.id)
      expect(log.map((event) => (event.data as { status: string }).status)).toEqual(['running', 'blocked', 'running'])
      printSummary({
        scenario: 'waitForStatus on A through a cut link, resolve through B',
        streamRequests: watching.streams.length,
        refusedConnections: proxy.refused,
      })
    })
  })
}
