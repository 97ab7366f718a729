// Idle connections: 1,000 SSE subscribers of one running task that publishes nothing. Memory per
// connection is the server's growth between two forced full GCs: before connecting, and once
// every subscriber has its first frame. A warm-up round of as many connections, opened and
// closed first, brings the V8 heap to its working size (new-space growth, lazily compiled
// code), so what is measured is the marginal cost of a connection, not one-off growth that
// happens once per process. RSS is what the issue asks for; it moves in whole heap pages, so
// the JS heap growth is shown beside it as the steadier figure. The task then completes:
// every subscriber must get the status event and taskcast.done.
import { allEnded, openAll, SseSubscriber, sumIntegrity } from '../sse-client.mjs'
import { complete, createRunningTask, mergeIntegrity, sleep, taskId } from './common.mjs'

/** `count` subscribers of task `id`, each expecting its running status then the completed one; resolves once each has the first. */
export async function connectIdle(server, id, count, timeoutMs = 30_000) {
  const subscribers = await openAll(count, () => new SseSubscriber(server.base, `/tasks/${id}/events`, { expected: [0, 1] }))
  const deadline = performance.now() + timeoutMs
  while (!subscribers.every((s) => s.unique >= 1)) {
    if (performance.now() > deadline) throw new Error('idle subscribers did not all get their first frame')
    await sleep(10)
  }
  return subscribers
}

/**
 * The warm-up round (as many connections, opened and closed), then `count` idle subscribers of a
 * fresh running task with the server's memory after a forced full GC before and after they connect.
 */
export async function connectMeasured(server, count, { prefix, timeoutMs = 30_000, settleMs = 300 }) {
  const warmTask = await createRunningTask(server.base, taskId(`${prefix}-warm`))
  const warm = await connectIdle(server, warmTask, count, timeoutMs)
  await complete(server.base, warmTask)
  await allEnded(warm, timeoutMs)
  await sleep(settleMs)

  const id = await createRunningTask(server.base, taskId(prefix))
  const before = await server.gc()
  const subscribers = await connectIdle(server, id, count, timeoutMs)
  await sleep(settleMs)
  const after = await server.gc()
  return { id, warm, subscribers, before, after }
}

export async function idleConnections(server, { smoke }) {
  const count = smoke ? 200 : 1000
  const { id, warm, subscribers, before, after } = await connectMeasured(server, count, { prefix: 'idle' })
  await complete(server.base, id)
  await allEnded(subscribers, 30_000)
  return {
    integrity: mergeIntegrity(sumIntegrity([...warm, ...subscribers])),
    metrics: [
      { key: 'rss_kib_per_connection', label: 'RSS per idle connection', value: (after.rss - before.rss) / 1024 / count, unit: 'KiB', better: 'lower' },
      { key: 'heap_kib_per_connection', label: 'JS heap per idle connection', value: (after.heapUsed - before.heapUsed) / 1024 / count, unit: 'KiB', better: 'lower' },
      { key: 'heap_committed_kib_per_connection', label: 'JS heap committed per idle connection', value: (after.heapTotal - before.heapTotal) / 1024 / count, unit: 'KiB', better: 'lower' },
    ],
  }
}
