// Fan-out: S subscribers of one task while one producer publishes E events at a fixed rate R
// over one keep-alive connection (as an LLM backend streams deltas). Latency of each delivery is
// measured from the event's scheduled send time, so a server that falls behind shows it even
// though the producer waits for each answer. The achieved rate is E over the time from the
// first scheduled send to the last subscriber receiving the last event.
import { Worker } from 'node:worker_threads'
import { allEnded, openAll, SseSubscriber, sumIntegrity } from '../sse-client.mjs'
import { complete, cpuWindow, createRunningTask, mergeIntegrity, percentile, sleep, taskId } from './common.mjs'

export function fanout(subscriberCount, rate, events) {
  return async function fanoutScenario(server, { smoke }) {
    const total = smoke ? Math.max(50, Math.round(events / 10)) : events
    // A warm-up phase at the same rate, unmeasured: the measured one sees a warm JIT in both servers.
    const warmup = Math.max(20, Math.round(total / 10))
    const last = warmup + total
    const id = await createRunningTask(server.base, taskId(`fan${subscriberCount}`))
    const path = `/tasks/${id}/events`
    const scheduled = new Float64Array(last + 2)
    const latencies = new Float64Array(total * subscriberCount)
    let recorded = 0
    let lastDelivery = 0
    const onDelivery = (rawIndex, now) => {
      if (rawIndex <= warmup || rawIndex > last) return
      latencies[recorded++] = now - scheduled[rawIndex]
      if (rawIndex === last && now > lastDelivery) lastDelivery = now
    }
    const subscribers = await openAll(
      subscriberCount,
      () => new SseSubscriber(server.base, path, { expected: { from: 0, to: last + 1 }, onDelivery }),
    )
    await waitUntil(() => subscribers.every((s) => s.unique >= 1), 30_000, 'every subscriber to get the running status')
    await produce(server, path, rate, 1, warmup, scheduled)
    await waitUntil(() => subscribers.every((s) => s.unique >= warmup + 1), 60_000, 'every subscriber to get the warm-up events')

    const window = cpuWindow(server.pid)
    const clientCpu = process.cpuUsage()
    const { t0, publishLatencies } = await produce(server, path, rate, warmup + 1, total, scheduled)
    await waitUntil(() => subscribers.every((s) => s.unique >= last + 1), 60_000, 'every subscriber to get the last event')
    const { cpuSeconds } = window()
    const { user, system } = process.cpuUsage(clientCpu)
    await complete(server.base, id)
    await allEnded(subscribers, 30_000)
    const deliveries = total * subscriberCount
    const achieved = total / ((lastDelivery - t0) / 1000)
    return {
      integrity: mergeIntegrity(sumIntegrity(subscribers), { failedRequests: deliveries - recorded }),
      metrics: [
        { key: 'delivery_p50_ms', label: 'delivery latency p50', value: percentile(latencies.subarray(0, recorded), 50), unit: 'ms', better: 'lower' },
        { key: 'delivery_p99_ms', label: 'delivery latency p99', value: percentile(latencies.subarray(0, recorded), 99), unit: 'ms', better: 'lower' },
        { key: 'achieved_rate', label: `achieved rate (scheduled ${rate}/s)`, value: achieved, unit: 'ev/s', better: 'higher' },
        { key: 'cpu_us_per_delivery', label: 'server CPU per delivery', value: (cpuSeconds * 1e6) / deliveries, unit: 'µs', better: 'lower' },
        { key: 'client_cpu_us_per_delivery', label: 'load generator CPU per delivery', value: (user + system) / deliveries, unit: 'µs', better: 'lower' },
        { key: 'publish_p50_ms', label: 'publish request p50', value: percentile(publishLatencies, 50), unit: 'ms', better: 'lower' },
        { key: 'publish_p99_ms', label: 'publish request p99', value: percentile(publishLatencies, 99), unit: 'ms', better: 'lower' },
      ],
    }
  }
}

/**
 * Publishes `count` events at `rate` from a producer thread, the first getting raw index
 * `firstIndex`; fills in their scheduled times. Returns the start time (main-thread clock).
 */
async function produce(server, path, rate, firstIndex, count, scheduled) {
  const interval = 1000 / rate
  // Absolute start time, shared with the producer thread (performance.now() origins differ per thread).
  const startAt = performance.timeOrigin + performance.now() + 50
  const t0 = startAt - performance.timeOrigin
  for (let k = 0; k < count; k++) scheduled[firstIndex + k] = t0 + k * interval
  const producer = new Worker(new URL('../publisher-worker.mjs', import.meta.url), {
    workerData: { base: server.base, path, rate, total: count, startAt },
  })
  const { latencies, failure } = await new Promise((resolve, reject) => {
    producer.once('message', resolve)
    producer.once('error', reject)
  })
  await producer.terminate()
  if (failure) throw new Error(`publishing failed: ${failure}`)
  return { t0, publishLatencies: latencies }
}

async function waitUntil(condition, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}
