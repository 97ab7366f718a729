// Publishing: single events (32 requests in flight over 8 tasks) and batches of 100 events.
// Nobody is subscribed while publishing, so the CPU figure is the publish path alone; integrity
// is checked afterwards by a late subscriber per task, which must get every index once, in order.
import { call, pool } from '../http-client.mjs'
import { complete, cpuWindow, createRunningTask, lateJoinCheck, mergeIntegrity, percentile, taskId } from './common.mjs'

export async function publishSingle(server, { smoke }) {
  const concurrency = 32
  const taskCount = 8
  const count = smoke ? 2000 : 20000
  const warmup = Math.ceil(count / 10)
  const ids = []
  for (let i = 0; i < taskCount; i++) ids.push(await createRunningTask(server.base, taskId('pub')))
  const published = new Array(taskCount).fill(0)
  const latencies = []
  const publish = async (i, record) => {
    const t = i % taskCount
    const body = { type: 'llm.delta', data: { text: 'Once upon a time, ', n: i } }
    const { ms } = await call(server.base, 'POST', `/tasks/${ids[t]}/events`, body, 201, { sockets: concurrency })
    published[t]++
    if (record) latencies.push(ms)
  }
  await pool(warmup, concurrency, (i) => publish(i, false))
  const window = cpuWindow(server.pid)
  await pool(count, concurrency, (i) => publish(i, true))
  const { cpuSeconds, wallSeconds } = window()
  for (const id of ids) await complete(server.base, id)
  const integrity = mergeIntegrity(
    await lateJoinCheck(server.base, ids, (id) => ({ from: 0, to: published[ids.indexOf(id)] + 1 })),
  )
  return {
    integrity,
    metrics: [
      { key: 'publishes_per_s', label: 'publishes/s', value: count / wallSeconds, unit: '/s', better: 'higher' },
      { key: 'cpu_us_per_publish', label: 'server CPU per publish', value: (cpuSeconds * 1e6) / count, unit: 'µs', better: 'lower' },
      { key: 'request_p50_ms', label: 'request p50', value: percentile(latencies, 50), unit: 'ms', better: 'lower' },
      { key: 'request_p99_ms', label: 'request p99', value: percentile(latencies, 99), unit: 'ms', better: 'lower' },
    ],
  }
}

export async function publishBatch(server, { smoke }) {
  const concurrency = 4
  const batchSize = 100
  const requests = smoke ? 100 : 1000
  const warmup = Math.ceil(requests / 10)
  const ids = []
  for (let i = 0; i < concurrency; i++) ids.push(await createRunningTask(server.base, taskId('batch')))
  const published = new Array(concurrency).fill(0)
  const batch = (n) => Array.from({ length: batchSize }, (_, k) => ({ type: 'llm.delta', data: { text: 'token ', n, k } }))
  const publish = async (i) => {
    const t = i % concurrency
    await call(server.base, 'POST', `/tasks/${ids[t]}/events`, batch(i), 201, { sockets: concurrency })
    published[t] += batchSize
  }
  await pool(warmup, concurrency, publish)
  const window = cpuWindow(server.pid)
  await pool(requests, concurrency, publish)
  const { cpuSeconds, wallSeconds } = window()
  for (const id of ids) await complete(server.base, id)
  const integrity = mergeIntegrity(
    await lateJoinCheck(server.base, ids, (id) => ({ from: 0, to: published[ids.indexOf(id)] + 1 })),
  )
  const events = requests * batchSize
  return {
    integrity,
    metrics: [
      { key: 'events_per_s', label: 'events/s', value: events / wallSeconds, unit: '/s', better: 'higher' },
      { key: 'cpu_us_per_event', label: 'server CPU per event', value: (cpuSeconds * 1e6) / events, unit: 'µs', better: 'lower' },
    ],
  }
}
