// Watching (SPEC §21): the task list and the stream of every task. Taskcast only: the reference
// has neither route.
//
// task-list: 100,000 tasks are stored through the HTTP API (4 types, a tenth of each moved to
// running), then pages are read one request at a time: the first page, a status filter, a type
// filter, and walks of 20 pages following nextCursor. Latency is the client's wall time of the
// request. Integrity: each page holds 50 tasks, newest first, of the filter asked for; a walk
// gives 1,000 distinct tasks.
//
// global-stream: server CPU per single-event publish with no `GET /events` stream open, with 50
// status-only streams (`types=`, what a dashboard opens), and with 50 streams of every event.
// Each run publishes into a fresh running task while only its own streams are open; the window
// ends once every stream has its completed status, so the delivery work is inside it. Runs go
// none, status-only, all, all, status-only, none, so that a drift of the machine's load falls on
// every case alike. Integrity: every stream gets exactly its events of the run, in rawIndex order.
import { rssBytes } from '../cpu.mjs'
import { call, pool } from '../http-client.mjs'
import { openAll, SseSubscriber, sumIntegrity } from '../sse-client.mjs'
import { cpuWindow, mergeIntegrity, percentile } from './common.mjs'

const TASK_TYPES = ['bench.a', 'bench.b', 'bench.c', 'bench.d']
const PAGE = 50
const WALK_PAGES = 20
const SAMPLES = 300
const WARMUP = 20
const MIB = 1024 * 1024

/** Stores `count` tasks, 64 requests in flight; every tenth of each type is moved to running. */
async function storeTasks(server, count) {
  const concurrency = 64
  let running = 0
  await pool(count, concurrency, async (i) => {
    const { json: task } = await call(server.base, 'POST', '/tasks', { type: TASK_TYPES[i % TASK_TYPES.length] }, 201, { sockets: concurrency })
    if (Math.floor(i / TASK_TYPES.length) % 10 !== 0) return
    await call(server.base, 'PATCH', `/tasks/${task.id}/status`, { status: 'running' }, 200, { sockets: concurrency })
    running++
  })
  return running
}

/** Integrity figures of one page: short, out of order (newer after older), or not of the filter. */
function checkPage(tasks, matches, full = true) {
  let outOfOrder = 0
  for (let i = 1; i < tasks.length; i++) if (tasks[i].createdAt > tasks[i - 1].createdAt) outOfOrder++
  return {
    lost: full ? Math.max(0, PAGE - tasks.length) : 0,
    outOfOrder,
    unexpected: tasks.filter((task) => !matches(task)).length,
  }
}

/** `WARMUP` unmeasured requests, then `SAMPLES` measured ones, one at a time; each page checked. */
async function samplePages(server, path, matches, checks) {
  const latencies = []
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const { json, ms } = await call(server.base, 'GET', path, undefined, 200)
    if (i >= WARMUP) latencies.push(ms)
    checks.push(checkPage(json.tasks, matches))
  }
  return latencies
}

/** Follows nextCursor for `WALK_PAGES` pages; the walk must give PAGE × WALK_PAGES distinct tasks, newest first. */
async function walk(server, latencies, checks) {
  const ids = new Set()
  const tasks = []
  let cursor
  for (let page = 0; page < WALK_PAGES; page++) {
    const path = `/tasks?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
    const { json, ms } = await call(server.base, 'GET', path, undefined, 200)
    latencies?.push(ms)
    for (const task of json.tasks) ids.add(task.id)
    tasks.push(...json.tasks)
    cursor = json.nextCursor
    if (!cursor) break
  }
  const { outOfOrder } = checkPage(tasks, () => true, false)
  checks.push({ lost: Math.max(0, PAGE * WALK_PAGES - ids.size), duplicated: tasks.length - ids.size, outOfOrder })
}

export async function taskList(server, { smoke }) {
  if (server.kind === 'reference') return { metrics: [], integrity: mergeIntegrity() }
  const count = smoke ? 10_000 : 100_000
  const rssBefore = rssBytes(server.pid)
  const started = performance.now()
  const running = await storeTasks(server, count)
  const storeSeconds = (performance.now() - started) / 1000
  await server.gc()
  const rssAfter = rssBytes(server.pid)

  const checks = []
  const firstPage = await samplePages(server, `/tasks?limit=${PAGE}`, () => true, checks)
  const statusPage = await samplePages(server, `/tasks?status=running&limit=${PAGE}`, (task) => task.status === 'running', checks)
  const typePage = await samplePages(server, `/tasks?type=bench.b&limit=${PAGE}`, (task) => task.type === 'bench.b', checks)
  const pageLatencies = []
  await walk(server, undefined, checks)
  for (let walks = 0; walks < SAMPLES / WALK_PAGES; walks++) await walk(server, pageLatencies, checks)

  return {
    integrity: mergeIntegrity(...checks),
    metrics: [
      { key: 'store_tasks_per_s', label: `tasks stored/s (${count} tasks, ${running} moved to running)`, value: count / storeSeconds, unit: '/s', better: 'higher' },
      { key: 'rss_mib', label: 'server RSS after storing', value: rssAfter / MIB, unit: 'MiB', better: 'lower' },
      { key: 'rss_bytes_per_task', label: 'server RSS per stored task', value: (rssAfter - rssBefore) / count, unit: 'B', better: 'lower' },
      { key: 'first_page_p50_ms', label: `first page of ${PAGE} p50`, value: percentile(firstPage, 50), unit: 'ms', better: 'lower' },
      { key: 'first_page_p99_ms', label: `first page of ${PAGE} p99`, value: percentile(firstPage, 99), unit: 'ms', better: 'lower' },
      { key: 'status_page_p50_ms', label: 'status=running page p50', value: percentile(statusPage, 50), unit: 'ms', better: 'lower' },
      { key: 'type_page_p50_ms', label: 'type=bench.b page p50', value: percentile(typePage, 50), unit: 'ms', better: 'lower' },
      { key: 'paging_page_p50_ms', label: `page of a ${WALK_PAGES}-page walk p50`, value: percentile(pageLatencies, 50), unit: 'ms', better: 'lower' },
    ],
  }
}

/**
 * `count` streams of `GET /events<query>`, each expecting `expected` of the run's task; `reach(i)`
 * resolves once every stream delivered rawIndex i.
 */
async function openDashboards(server, query, count, expected) {
  const arrivals = new Map()
  const reach = (rawIndex) => {
    const arrival = arrivals.get(rawIndex)
    if (arrival) return arrival.promise
    /** @type {() => void} */
    let resolve = () => {}
    const promise = new Promise((r) => (resolve = () => r(undefined)))
    arrivals.set(rawIndex, { left: count, resolve, promise })
    if (count === 0) resolve()
    return promise
  }
  const onDelivery = (rawIndex) => {
    const arrival = arrivals.get(rawIndex)
    if (arrival && --arrival.left === 0) arrival.resolve()
  }
  const subscribers = await openAll(count, () => new SseSubscriber(server.base, `/events${query}`, { expected, onDelivery, notices: true }))
  return { subscribers, reach }
}

async function within(promise, timeoutMs, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} after ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The streams of each case: the query, and the rawIndexes of a run of `events` events they must get. */
const CASES = {
  none: { streams: 0, query: '', expected: () => [] },
  statusOnly: { streams: 50, query: '?types=', expected: (events) => [0, events + 1] },
  all: { streams: 50, query: '', expected: (events) => ({ from: 0, to: events + 1 }) },
}

/**
 * One run: the case's streams open, a fresh task goes running (rawIndex 0, which every stream
 * gets: the streams are live), `events` single events are published 4 in flight, the task
 * completes (rawIndex events + 1). The window spans publishing until every stream has the completed status.
 */
async function streamRun(server, kind, events) {
  const { streams, query, expected } = CASES[kind]
  const { subscribers, reach } = await openDashboards(server, query, streams, expected(events))
  const started = reach(0)
  const completed = reach(events + 1)
  const { json: task } = await call(server.base, 'POST', '/tasks', { type: 'bench.stream' }, 201)
  await call(server.base, 'PATCH', `/tasks/${task.id}/status`, { status: 'running' }, 200)
  await within(started, 10_000, `${kind}: streams did not all get the running status`)

  const concurrency = 4
  const window = cpuWindow(server.pid)
  await pool(events, concurrency, (i) =>
    call(server.base, 'POST', `/tasks/${task.id}/events`, { type: 'llm.delta', data: { text: 'Once upon a time, ', n: i } }, 201, { sockets: concurrency }),
  )
  await call(server.base, 'PATCH', `/tasks/${task.id}/status`, { status: 'completed', result: { ok: true } }, 200)
  await within(completed, 60_000, `${kind}: streams did not all get the completed status`)
  const { cpuSeconds } = window()

  for (const subscriber of subscribers) subscriber.close()
  // Each stream was open when the task was created: exactly one creation notice each.
  const notices = subscribers.reduce((wrong, s) => wrong + Math.abs(s.notices - 1), 0)
  // The stream of every task never sends taskcast.done: the completed status ends a run.
  const { missingDone: _none, ...counts } = sumIntegrity(subscribers)
  const integrity = { ...counts, unexpected: counts.unexpected + notices }
  // The memory store keeps every event: dropped, so that later runs do not pay for a bigger heap.
  await call(server.base, 'DELETE', `/tasks/${task.id}`, undefined, 204)
  return { cpuSeconds, integrity }
}

export async function globalStream(server, { smoke }) {
  if (server.kind === 'reference') return { metrics: [], integrity: mergeIntegrity() }
  const events = smoke ? 1000 : 5000
  const cpu = { none: 0, statusOnly: 0, all: 0 }
  const checks = []
  // Warm-up runs as long as the measured ones: shorter ones leave the first measured run slower.
  for (const kind of Object.keys(CASES)) checks.push((await streamRun(server, kind, events)).integrity)
  const order = ['none', 'statusOnly', 'all', 'all', 'statusOnly', 'none']
  for (const kind of order) {
    const { cpuSeconds, integrity } = await streamRun(server, kind, events)
    cpu[kind] += cpuSeconds
    checks.push(integrity)
  }
  const perPublish = (kind) => (cpu[kind] * 1e6) / (2 * events)
  const overhead = (kind) => (perPublish(kind) - perPublish('none')) / perPublish('none')
  return {
    integrity: mergeIntegrity(...checks),
    metrics: [
      { key: 'cpu_us_per_publish', label: 'server CPU per publish, no /events stream', value: perPublish('none'), unit: 'µs', better: 'lower' },
      { key: 'cpu_us_per_publish_status_only', label: 'server CPU per publish, 50 status-only streams', value: perPublish('statusOnly'), unit: 'µs', better: 'lower' },
      { key: 'cpu_us_per_publish_all', label: 'server CPU per publish, 50 streams of every event', value: perPublish('all'), unit: 'µs', better: 'lower' },
      { key: 'events_overhead_status_only', label: 'added CPU per publish, 50 status-only streams (fraction)', value: overhead('statusOnly'), unit: '', better: 'lower' },
      { key: 'events_overhead_all', label: 'added CPU per publish, 50 streams of every event (fraction)', value: overhead('all'), unit: '', better: 'lower' },
    ],
  }
}
