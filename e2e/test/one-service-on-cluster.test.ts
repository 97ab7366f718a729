// Scale-out past one Redis: the two-process scenarios on a 3-master Redis Cluster the test starts
// itself. Tasks live on different masters (each task's keys all on the one node that serves the
// slot of its id, read back from the nodes); subscribers on B get exactly what was published
// through A and B, in index order; a DELETE through A ends a stream on B within 1 s with the
// `taskcast.error` frame; and a TTL fires exactly once across A and B (the shared deadlines key
// lives on one master, the tasks on all three).
import { describe, expect, it } from 'vitest'
import { twoProcesses } from './support/cluster.js'
import { history, publishNumbered, sdk, SEQ_TYPE } from './support/publisher.js'
import { FailoverFetch, RecordingSubscriber } from './support/recording-subscriber.js'
import { redisClusterForBlock, type RedisCluster } from './support/redis-cluster.js'
import { expectExactDelivery, expectPublishedOnce, printSummary, sumCounts } from './support/sequence.js'
import { servicesAvailable } from './support/services.js'
import { parseSseFrames } from './support/sse-frames.js'
import { createTtlTasks, errorLines, expectTimedOutOnce, histogram, timeoutEvents, untilAllTimedOut } from './support/ttl-tasks.js'

const EVENTS_PER_TASK = 200
const TTL_TASKS = 12
const TTL_SECONDS = 2
/** After every task timed out, how long to watch for a second `timeout`: more than one poll round (1 s) of each process. */
const SECOND_FIRING_WINDOW_MS = 1500

/**
 * One task id per master, `<label>-0`, `<label>-1`, … picked by the slot each falls in: every key
 * of a task carries the hash tag `{<id>}` (SPEC §6), so the id's own slot is the task's.
 */
async function idOnEachNode(cluster: RedisCluster, label: string): Promise<Map<string, string>> {
  const byNode = new Map<string, string>()
  for (let i = 0; byNode.size < cluster.nodes.length; i++) {
    if (i === 1000) throw new Error(`no id among ${label}-0…999 for every node: ${[...byNode.keys()].join(', ')}`)
    const id = `${label}-${i}`
    const node = await cluster.nodeOf(id)
    if (!byNode.has(node)) byNode.set(node, id)
  }
  return byNode
}

/** The nodes holding keys of `taskId` (those with its hash tag) under `keyPrefix`. */
function nodesHolding(keysByNode: Map<string, string[]>, taskId: string): string[] {
  return [...keysByNode].filter(([, keys]) => keys.some((key) => key.includes(`{${taskId}}`))).map(([node]) => node)
}

if (await servicesAvailable('scale-out on a Redis Cluster', ['redis-server'])) {
  describe('two taskcast processes on a 3-master Redis Cluster', () => {
    // First, so that the cluster is up before A and B start and goes after they stop.
    const redis = redisClusterForBlock()
    const servers = twoProcesses('on-cluster', () => ({ redisCluster: redis.nodes }))

    it('keeps each task on the master of its slot, and delivers to subscribers of B what A and B published, in order, once', async () => {
      const { a, b } = servers
      const placed = await idOnEachNode(redis.cluster, 'spread')
      const ids = [...placed.values()]
      const runs = await Promise.all(
        ids.map(async (id) => {
          await sdk(a.url).createTask({ id, type: 'e2e.cluster' })
          await sdk(b.url).transitionTask(id, 'running')
          const onB = Array.from({ length: 3 }, () => new RecordingSubscriber(id, new FailoverFetch([b.url])))
          const onA = new RecordingSubscriber(id, new FailoverFetch([a.url]))
          const subscribers = [...onB, onA]
          await Promise.all(subscribers.map((subscriber) => subscriber.reached(0)))
          // Alternately through A and B: single events, then batches.
          const half = EVENTS_PER_TASK / 2
          await publishNumbered({ servers: [a.url, b.url], taskId: id, count: half })
          await publishNumbered({ servers: [b.url, a.url], taskId: id, from: half, count: half, batchSize: 10 })
          await sdk(a.url).transitionTask(id, 'completed')
          return { id, subscribers }
        }),
      )

      const delivery = []
      for (const { id, subscribers } of runs) {
        expect(await Promise.all(subscribers.map((subscriber) => subscriber.done))).toEqual(subscribers.map(() => 'completed'))
        const log = await history(b.url, id)
        expect(log).toHaveLength(EVENTS_PER_TASK + 2)
        expectPublishedOnce(log, EVENTS_PER_TASK, SEQ_TYPE)
        delivery.push(expectExactDelivery(log, subscribers))
        // One connection each: nothing here should make a subscriber reconnect.
        expect(subscribers.map((subscriber) => subscriber.connections.length)).toEqual(subscribers.map(() => 1))
      }

      // Where the keys really are, asked of each node: each task on exactly its slot's master.
      const keysByNode = await redis.cluster.keysByNode(servers.keyPrefix)
      const holders = ids.map((id) => nodesHolding(keysByNode, id))
      expect(holders).toEqual([...placed.keys()].map((node) => [node]))
      expect(new Set(holders.flat()).size).toBe(3)
      expect([errorLines(a), errorLines(b)]).toEqual([[], []])
      printSummary({
        scenario: 'cluster-1 tasks on 3 masters, publish through A and B, subscribe on B',
        masters: redis.nodes.length,
        tasks: ids.length,
        nodesHoldingTasks: new Set(holders.flat()).size,
        eventsPerTask: EVENTS_PER_TASK,
        subscribers: { onB: runs.length * 3, onA: runs.length },
        delivery: sumCounts(delivery),
      })
    })

    it('ends a stream on B within 1 s of a DELETE through A, with the taskcast.error TASK_NOT_FOUND frame, on every master', async () => {
      const { a, b } = servers
      const tookMs: number[] = []
      for (const id of (await idOnEachNode(redis.cluster, 'deleted')).values()) {
        await sdk(a.url).createTask({ id })
        await sdk(a.url).transitionTask(id, 'running')
        const stream = await fetch(`${b.url}/tasks/${id}/events`, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(10_000) })
        expect(stream.status).toBe(200)
        const body = stream.body!.pipeThrough(new TextDecoderStream()).getReader()
        let text = ''
        // The running status event has arrived: the stream is live on B.
        while (!/event: taskcast\.event\n(?:[^\n]+\n)*\n/.test(text)) {
          const { value, done } = await body.read()
          if (done) throw new Error(`the stream ended before its first event: ${JSON.stringify(text)}`)
          text += value
        }

        const deletedAt = performance.now()
        expect(await sdk(a.url).deleteTask(id)).toBe(true)
        for (;;) {
          const { value, done } = await body.read()
          if (done) break
          text += value
        }
        tookMs.push(performance.now() - deletedAt)

        const events = parseSseFrames(text).filter((frame) => frame.event !== undefined)
        expect(events.map((frame) => frame.event)).toEqual(['taskcast.event', 'taskcast.error'])
        expect(JSON.parse(events[1]!.data!)).toEqual({ code: 'TASK_NOT_FOUND', message: `task ${id} was deleted`, details: { reason: 'deleted' } })
      }
      for (const ms of tookMs) expect(ms).toBeLessThan(1000)
      printSummary({ scenario: 'cluster-2 DELETE through A ends streams on B', masters: tookMs.length, endedAfterMs: tookMs.map(Math.round) })
    })

    it(`times each of ${TTL_TASKS} tasks out exactly once across A and B`, async () => {
      const { a, b } = servers
      const tasks = await createTtlTasks([a, b], TTL_TASKS, TTL_SECONDS, 'e2e.cluster.ttl')
      const nodes = await Promise.all(tasks.map(({ task }) => redis.cluster.nodeOf(task.id)))
      // Random ids over three masters: all on one would be a 3·3⁻¹² chance.
      expect(new Set(nodes).size).toBeGreaterThanOrEqual(2)
      const watchers = tasks.map(({ task }) => [a, b].map((server) => new RecordingSubscriber(task.id, new FailoverFetch([server.url]))))

      const stored = await untilAllTimedOut([a, b], tasks, TTL_SECONDS * 1000 + 5000)
      for (const task of stored) expect(task).toMatchObject({ status: 'timeout', error: { code: 'TTL_EXPIRED' } })
      for (const subscribers of watchers) expect(await Promise.all(subscribers.map((subscriber) => subscriber.done))).toEqual(['timeout', 'timeout'])

      // An observation window, not a synchronisation: a second firing would come with the next poll.
      await new Promise((resolve) => setTimeout(resolve, SECOND_FIRING_WINDOW_MS))
      const perTask: number[] = []
      const delivery = []
      for (const [i, { task, started }] of tasks.entries()) {
        const log = await history((i % 2 === 0 ? b : a).url, task.id)
        perTask.push(timeoutEvents(log).length)
        expectTimedOutOnce(log, started)
        delivery.push(expectExactDelivery(log, watchers[i]!))
      }
      expect(histogram(perTask)).toEqual({ 1: TTL_TASKS })
      expect([errorLines(a), errorLines(b)]).toEqual([[], []])
      printSummary({
        scenario: 'cluster-3 TTL once across A and B',
        tasks: TTL_TASKS,
        nodesHoldingTasks: new Set(nodes).size,
        timeoutEventsPerTask: histogram(perTask),
        delivery: sumCounts(delivery),
      })
    })
  })
}
