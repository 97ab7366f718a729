// Idempotent producers (SPEC §19): events/s through `serverClient.producer()` with its default
// options (batches of up to 100, 4 requests in flight) against the same events sent as plain
// batches of 100, 4 requests in flight, by the same SDK client over the same fetch; and the
// server's CPU per event both ways, which is what the Producer-* check and the bookkeeping of
// retries cost it. The producer is fed as one with flow control is: at most BACKLOG events
// unstored (each 100th publish awaits the one BACKLOG before it), as plain batches have at most
// 4 × 100 in flight. (Queued all at once, 100,000 pending publishes cost the client ~25% more in
// garbage collection.) Runs alternate (plain, producer, producer, plain) after a warm-up of each, so
// that a drift of the machine's load falls on both. Integrity: each task's log must hold every
// event once; the producer's, in the order published (plain batches 4 at a time may be stored
// in another order, which is counted). Taskcast only: the reference has no idempotent producers.
import { TaskcastServerClient } from '@taskcast/server-sdk'
import { pool } from '../http-client.mjs'
import { cpuWindow, mergeIntegrity } from './common.mjs'

const BATCH = 100
const IN_FLIGHT = 4
const BACKLOG = 2000
const event = (n) => ({ type: 'llm.delta', data: { text: 'token ', n } })

async function plainBatches(sdk, taskId, count) {
  await pool(Math.ceil(count / BATCH), IN_FLIGHT, (i) =>
    sdk.publishEvents(taskId, Array.from({ length: Math.min(BATCH, count - i * BATCH) }, (_, k) => event(i * BATCH + k))),
  )
}

async function throughProducer(sdk, taskId, count) {
  const producer = sdk.producer(taskId)
  const pending = new Array(BACKLOG)
  for (let n = 0; n < count; n++) {
    if (n >= BACKLOG && n % 100 === 0) await pending[n % BACKLOG]
    pending[n % BACKLOG] = producer.publish(event(n))
  }
  await producer.close()
}

/** Lost, duplicated and out-of-order events of a log that must hold `data.n` = 0 … count − 1 (in any order). */
async function integrityOf(sdk, taskId, count) {
  const ns = (await sdk.getHistory(taskId, { filter: { types: ['llm.delta'], includeStatus: false } })).map((e) => e.data.n)
  const distinct = new Set(ns)
  let outOfOrder = 0
  for (let i = 1; i < ns.length; i++) if (ns[i] < ns[i - 1]) outOfOrder++
  let lost = 0
  for (let n = 0; n < count; n++) if (!distinct.has(n)) lost++
  return { lost, duplicated: ns.length - distinct.size, outOfOrder }
}

export async function producerVsBatch(server, { smoke }) {
  if (server.kind === 'reference') return { metrics: [], integrity: mergeIntegrity() }
  const count = smoke ? 10_000 : 100_000
  // Counts the producer's requests refused for overtaking an earlier one (each is sent again).
  let overtaken = 0
  const counting = async (input, init) => {
    const response = await fetch(input, init)
    if (response.status === 409) overtaken++
    return response
  }
  const sdk = new TaskcastServerClient({ baseUrl: server.base, fetch: counting })
  const paths = { plain: plainBatches, producer: throughProducer }
  const totals = { plain: { cpuSeconds: 0, wallSeconds: 0 }, producer: { cpuSeconds: 0, wallSeconds: 0 } }
  const checks = []
  let plainOutOfOrder = 0
  const run = async (path, events, measured) => {
    const { id } = await sdk.createTask({ type: 'bench' })
    await sdk.transitionTask(id, 'running')
    const window = cpuWindow(server.pid)
    await paths[path](sdk, id, events)
    const { cpuSeconds, wallSeconds } = window()
    if (!measured) overtaken = 0
    if (measured) {
      totals[path].cpuSeconds += cpuSeconds
      totals[path].wallSeconds += wallSeconds
    }
    const { outOfOrder, ...counts } = await integrityOf(sdk, id, events)
    checks.push(path === 'producer' ? { outOfOrder, ...counts } : counts)
    if (measured && path === 'plain') plainOutOfOrder += outOfOrder
    // The memory store keeps every event: dropped, so that later runs do not pay for a bigger heap.
    await sdk.deleteTask(id)
  }
  await run('plain', count / 10, false)
  await run('producer', count / 10, false)
  for (const path of ['plain', 'producer', 'producer', 'plain']) await run(path, count, true)

  const events = 2 * count
  const rate = (path) => events / totals[path].wallSeconds
  const cpu = (path) => (totals[path].cpuSeconds * 1e6) / events
  return {
    integrity: mergeIntegrity(...checks),
    metrics: [
      { key: 'producer_events_per_s', label: 'producer() events/s', value: rate('producer'), unit: '/s', better: 'higher' },
      { key: 'batch_events_per_s', label: 'plain batches events/s', value: rate('plain'), unit: '/s', better: 'higher' },
      { key: 'producer_vs_batch', label: 'producer() / plain batches, events/s', value: rate('producer') / rate('plain'), unit: '×', better: 'higher' },
      { key: 'producer_cpu_us_per_event', label: 'server CPU per event, producer()', value: cpu('producer'), unit: 'µs', better: 'lower' },
      { key: 'batch_cpu_us_per_event', label: 'server CPU per event, plain batches', value: cpu('plain'), unit: 'µs', better: 'lower' },
      { key: 'producer_cpu_vs_batch', label: 'server CPU per event, producer() / plain', value: cpu('producer') / cpu('plain'), unit: '×', better: 'lower' },
      { key: 'producer_overtaken', label: `producer() requests refused as overtaking, sent again (of ${(2 * count) / BATCH})`, value: overtaken, unit: '', better: 'lower' },
      // What the producer's order is worth: concurrent plain batches land in another order.
      { key: 'batch_out_of_order', label: `plain batches stored behind a later one (of ${(2 * count) / BATCH})`, value: plainOutOfOrder, unit: '', better: 'lower' },
    ],
  }
}
