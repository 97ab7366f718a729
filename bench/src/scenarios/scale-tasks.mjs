// Scale curve of the task store: one server whose stored idle tasks grow 1k → 100k → 1M (smoke
// 1k → 10k; on Redis up to 100k). Tasks are stored through POST /tasks only, 64 in flight. A
// warm-up round of the whole step, on tasks deleted afterwards, comes first. At each step, in
// this order:
//   - server RSS and JS heap per stored task: growth since the start, between forced full GCs,
//     measured right after storing (before the step's publishing adds anything);
//   - GET /tasks/:id p50 over sequential reads of random stored tasks (client wall time);
//   - server CPU per single-event publish: 8 running tasks made for the step, 32 in flight, a
//     warm-up, then the median of 3 windows (small windows are a few CPU ticks each; one noisy
//     window moves a mean). The step's tasks are deleted afterwards, so their events do not
//     weigh on the next step.
// Growth ratios (largest step / 1k step) say whether a publish or a read pays for tasks it does
// not touch. Integrity: every read answers the task asked for; every publish is checked by a late
// subscriber per running task (every index once, in order, then done). Taskcast only.
import { call, pool } from '../http-client.mjs'
import { complete, cpuWindow, createRunningTask, lateJoinCheck, mergeIntegrity, percentile, taskId } from './common.mjs'
import { scaleSteps, stepName } from './scale-steps.mjs'

const STORE_CONCURRENCY = 64
const PUBLISH_CONCURRENCY = 32
const PUBLISH_TASKS = 8
const WINDOWS = 3
const READS = 300
const READ_WARMUP = 20

/** Stores `count` idle tasks, 64 in flight; their ids are appended to `ids`. */
async function storeTasks(server, count, ids) {
  await pool(count, STORE_CONCURRENCY, async () => {
    const { json } = await call(server.base, 'POST', '/tasks', { type: 'bench.idle' }, 201, { sockets: STORE_CONCURRENCY })
    ids.push(json.id)
  })
}

/** p50 of GET /tasks/:id over random stored ids, one at a time; a wrong answer counts as unexpected. */
async function readTasks(server, ids) {
  const latencies = []
  let unexpected = 0
  for (let i = 0; i < READ_WARMUP + READS; i++) {
    const id = ids[Math.floor(Math.random() * ids.length)]
    const { json, ms } = await call(server.base, 'GET', `/tasks/${id}`, undefined, 200)
    if (json.id !== id || json.status !== 'pending') unexpected++
    if (i >= READ_WARMUP) latencies.push(ms)
  }
  return { p50: percentile(latencies, 50), integrity: { unexpected } }
}

/** Median server CPU per single-event publish over `WINDOWS` windows of `count` publishes. */
async function publishCpu(server, count) {
  const ids = []
  for (let i = 0; i < PUBLISH_TASKS; i++) ids.push(await createRunningTask(server.base, taskId('scale-pub')))
  const published = new Array(PUBLISH_TASKS).fill(0)
  const publish = async (i) => {
    const t = i % PUBLISH_TASKS
    const body = { type: 'llm.delta', data: { text: 'Once upon a time, ', n: i } }
    await call(server.base, 'POST', `/tasks/${ids[t]}/events`, body, 201, { sockets: PUBLISH_CONCURRENCY })
    published[t]++
  }
  await pool(Math.ceil(count / 5), PUBLISH_CONCURRENCY, publish)
  const perPublish = []
  for (let w = 0; w < WINDOWS; w++) {
    const window = cpuWindow(server.pid)
    await pool(count, PUBLISH_CONCURRENCY, publish)
    perPublish.push((window().cpuSeconds * 1e6) / count)
  }
  for (const id of ids) await complete(server.base, id)
  const integrity = await lateJoinCheck(server.base, ids, (id) => ({ from: 0, to: published[ids.indexOf(id)] + 1 }))
  for (const id of ids) await call(server.base, 'DELETE', `/tasks/${id}`, undefined, 204)
  return { cpuUs: percentile(perPublish, 50), integrity }
}

/**
 * One unmeasured round of everything a step does, on tasks deleted afterwards: the first step
 * would otherwise pay for the server's one-off growth (compiled code, the heap's working size).
 */
async function warmUp(server, publishes) {
  const ids = []
  await storeTasks(server, 2000, ids)
  const read = await readTasks(server, ids)
  const publish = await publishCpu(server, publishes)
  await pool(ids.length, STORE_CONCURRENCY, (i) => call(server.base, 'DELETE', `/tasks/${ids[i]}`, undefined, 204, { sockets: STORE_CONCURRENCY }))
  return [read.integrity, publish.integrity]
}

export async function scaleTasks(server, { smoke }) {
  if (server.kind === 'reference') return { metrics: [], integrity: mergeIntegrity() }
  const publishes = smoke ? 1000 : 5000
  /** @type {Record<string, number>[]} */
  const checks = await warmUp(server, publishes)
  const start = await server.gc()
  const ids = []
  const metrics = []
  const byStep = []
  for (const count of scaleSteps(server, smoke)) {
    const name = stepName(count)
    const started = performance.now()
    await storeTasks(server, count - ids.length, ids)
    const storeSeconds = (performance.now() - started) / 1000
    const stored = await server.gc()
    const read = await readTasks(server, ids)
    const publish = await publishCpu(server, publishes)
    checks.push(read.integrity, publish.integrity)
    byStep.push({ count, publishCpu: publish.cpuUs, getP50: read.p50 })
    metrics.push(
      { key: `publish_cpu_us_${name}`, label: `server CPU per publish, ${name} tasks stored (median of ${WINDOWS})`, value: publish.cpuUs, unit: 'µs', better: 'lower' },
      { key: `get_task_p50_ms_${name}`, label: `GET /tasks/:id p50, ${name} tasks stored`, value: read.p50, unit: 'ms', better: 'lower' },
      { key: `rss_bytes_per_task_${name}`, label: `server RSS per stored task, ${name} tasks`, value: (stored.rss - start.rss) / count, unit: 'B', better: 'lower' },
      { key: `heap_bytes_per_task_${name}`, label: `JS heap per stored task, ${name} tasks`, value: (stored.heapUsed - start.heapUsed) / count, unit: 'B', better: 'lower' },
      { key: `store_tasks_per_s_${name}`, label: `tasks stored/s up to ${name}`, value: (count - (byStep.at(-2)?.count ?? 0)) / storeSeconds, unit: '/s', better: 'higher' },
    )
  }
  const first = byStep[0]
  const last = byStep.at(-1)
  metrics.push(
    { key: 'publish_cpu_growth', label: 'server CPU per publish, largest step / 1k tasks stored', value: last.publishCpu / first.publishCpu, unit: '×', better: 'lower' },
    { key: 'get_task_growth', label: 'GET /tasks/:id p50, largest step / 1k tasks stored', value: last.getP50 / first.getP50, unit: '×', better: 'lower' },
  )
  return { integrity: mergeIntegrity(...checks), metrics }
}
