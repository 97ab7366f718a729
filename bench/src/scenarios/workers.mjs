// Workers (SPEC §18): tasks created with `assign` and taken by workers long-polling
// `GET /workers/pull`, each worker on its own connection. Taskcast only: the reference has no
// workers.
//
// Assignment latency: 10 workers wait; tasks are created one at a time, each once the one before
// reached a worker, and the latency is the client's time from just before `POST /tasks` to the
// end of the pull's 200 carrying it. The worker that got a task pulls again at once. After the
// measured tasks each is started (with the workerId that received it, so it must still be
// assigned to that worker) and completed.
//
// Throughput: the tasks are created up front, then 10 workers drain them, each pull → running
// (with its workerId) → completed → pull again; the figure runs from the first pull to the last
// completed task.
//
// Integrity, both parts: every task created reaches exactly one worker (the one it names in
// `assignedTo`), every move of a worker's is accepted, and no task of the part's type is left
// pending, assigned or running at the end.
import { Agent, request as httpRequest } from 'node:http'
import { toWorkerPullSearchParams } from '@taskcast/core/wire'
import { call, pool, request } from '../http-client.mjs'
import { cpuWindow, mergeIntegrity, percentile } from './common.mjs'

const WORKERS = 10
const PULL_TIMEOUT_MS = 30_000
const WARMUP = 20
const DRAIN_TIMEOUT_MS = 120_000

let runs = 0
/** A task type of its own per part of a run, so that one part's workers never take another's tasks. */
const runType = (part) => `bench.workers.${process.pid}.${runs++}.${part}`

/**
 * One long-poll of worker `workerId` on its own keep-alive connection. Resolves with the task
 * and the time its body ended, or `undefined` on a 204; `abort()` ends the wait (and rejects).
 */
function pull(base, agent, workerId, type) {
  const query = toWorkerPullSearchParams({ workerId, types: [type], timeoutMs: PULL_TIMEOUT_MS })
  const url = new URL(`/workers/pull?${query}`, base)
  let req
  const promise = new Promise((resolve, reject) => {
    req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, agent, timeout: PULL_TIMEOUT_MS + 10_000 },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => {
          const at = performance.now()
          if (res.statusCode === 204) resolve(undefined)
          else if (res.statusCode === 200) resolve({ task: JSON.parse(text), at })
          else reject(new Error(`GET /workers/pull → ${res.statusCode}: ${text.slice(0, 300)}`))
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`pull of ${workerId} timed out`)))
    req.on('error', reject)
    req.end()
  })
  return { promise, abort: () => req.destroy() }
}

/**
 * `WORKERS` workers that pull until stopped, each handing what it gets to `onTask(workerId,
 * task, at)` (awaited) before pulling again. `stop()` aborts the open pulls and resolves once
 * every worker has ended; a pull that failed otherwise rejects it.
 */
function startWorkers(base, type, onTask) {
  let stopped = false
  const open = new Set()
  const agents = []
  const loop = async (workerId) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    agents.push(agent)
    while (!stopped) {
      const poll = pull(base, agent, workerId, type)
      open.add(poll)
      let got
      try {
        got = await poll.promise
      } catch (error) {
        if (stopped) return
        throw error
      } finally {
        open.delete(poll)
      }
      if (got) await onTask(workerId, got.task, got.at)
    }
  }
  const ended = Promise.all(Array.from({ length: WORKERS }, (_, i) => loop(`w${i}`)))
  // A failure shows when the part stops the workers; until then it must not be unhandled.
  ended.catch(() => {})
  return {
    ended,
    async stop() {
      stopped = true
      for (const poll of open) poll.abort()
      try {
        await ended
      } finally {
        for (const agent of agents) agent.destroy()
      }
    },
  }
}

/** Counts what the workers got: each task once, by the worker it names, and only tasks created. */
class Receipts {
  constructor() {
    this.created = new Set()
    /** Task id → the worker that got it first. */
    this.byTask = new Map()
    this.duplicated = 0
    /** Receipts naming another worker, or not the task awaited. */
    this.unexpected = 0
    this.failedRequests = 0
  }

  /** Records `task` as received by `workerId`; false when it is not a first, rightful receipt. */
  receive(workerId, task) {
    if (this.byTask.has(task.id)) this.duplicated++
    else if (task.assignedTo?.workerId !== workerId) this.unexpected++
    else {
      this.byTask.set(task.id, workerId)
      return true
    }
    return false
  }

  /** Checked once every task is created: a pull may answer before the `POST /tasks` that created its task. */
  integrity(left) {
    const received = [...this.byTask.keys()]
    const known = received.filter((id) => this.created.has(id)).length
    return {
      lost: this.created.size - known + left,
      duplicated: this.duplicated,
      unexpected: this.unexpected + received.length - known,
      failedRequests: this.failedRequests,
    }
  }
}

/** A worker's move of its task; a refusal is counted, not thrown, so the part still ends. */
async function move(base, receipts, id, body) {
  const { status } = await request(base, 'PATCH', `/tasks/${id}/status`, body, { sockets: WORKERS })
  if (status !== 200) receipts.failedRequests++
  return status === 200
}

async function runToEnd(base, receipts, workerId, id) {
  if (await move(base, receipts, id, { status: 'running', workerId })) {
    await move(base, receipts, id, { status: 'completed', result: { ok: true } })
  }
}

/** Tasks of `type` not yet ended: none may be left once a part is over. */
async function unfinished(base, type) {
  const { json } = await call(base, 'GET', `/tasks?status=pending,assigned,running&type=${encodeURIComponent(type)}`, undefined, 200)
  return json.tasks.length
}

/** Rejects after `ms` unless `promise` settles first. */
async function within(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves once all `WORKERS` pulls are in the server's line, so that the first task has a waiting worker too. */
async function everyWorkerWaiting(base, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const { json } = await call(base, 'GET', '/workers', undefined, 200)
    if (json.workers.length === WORKERS) return
  }
  throw new Error(`the ${WORKERS} workers were not all waiting after ${timeoutMs} ms`)
}

async function assignmentLatency(server, count) {
  const type = runType('latency')
  const receipts = new Receipts()
  let arrived
  const workers = startWorkers(server.base, type, (workerId, task, at) => {
    receipts.receive(workerId, task)
    arrived?.({ id: task.id, at })
  })
  await Promise.race([everyWorkerWaiting(server.base), workers.ended])

  const latencies = []
  for (let i = 0; i < WARMUP + count; i++) {
    const received = new Promise((resolve) => (arrived = resolve))
    const sent = performance.now()
    const [{ json: task }, got] = await within(
      Promise.all([call(server.base, 'POST', '/tasks', { type, assign: {} }, 201), Promise.race([received, workers.ended])]),
      PULL_TIMEOUT_MS,
      `task ${i} reached no worker`,
    )
    receipts.created.add(task.id)
    if (got.id !== task.id) receipts.unexpected++
    if (i >= WARMUP) latencies.push(got.at - sent)
  }
  await workers.stop()

  // Started with the workerId that received it: refused unless the task is still assigned to it.
  const received = [...receipts.byTask]
  await pool(received.length, WORKERS, (i) => runToEnd(server.base, receipts, received[i][1], received[i][0]))
  return { latencies, integrity: receipts.integrity(await unfinished(server.base, type)) }
}

async function throughput(server, count) {
  const type = runType('throughput')
  const receipts = new Receipts()
  await pool(count, 64, async () => {
    const { json: task } = await call(server.base, 'POST', '/tasks', { type, assign: {} }, 201, { sockets: 64 })
    receipts.created.add(task.id)
  })

  let settled = 0
  let drained
  const allSettled = new Promise((resolve) => (drained = resolve))
  const window = cpuWindow(server.pid)
  const workers = startWorkers(server.base, type, async (workerId, task) => {
    if (receipts.receive(workerId, task)) await runToEnd(server.base, receipts, workerId, task.id)
    if (++settled === count) drained()
  })
  await within(Promise.race([allSettled, workers.ended]), DRAIN_TIMEOUT_MS, `${count - settled} tasks not drained`)
  const { cpuSeconds, wallSeconds } = window()
  await workers.stop()
  return { cpuSeconds, wallSeconds, integrity: receipts.integrity(await unfinished(server.base, type)) }
}

export async function workers(server, { smoke }) {
  if (server.kind === 'reference') return { metrics: [], integrity: mergeIntegrity() }
  const samples = smoke ? 50 : 300
  const tasks = smoke ? 200 : 1000
  const latency = await assignmentLatency(server, samples)
  const drain = await throughput(server, tasks)
  return {
    integrity: mergeIntegrity(latency.integrity, drain.integrity),
    metrics: [
      { key: 'assignment_p50_ms', label: `created → received, ${WORKERS} waiting workers p50`, value: percentile(latency.latencies, 50), unit: 'ms', better: 'lower' },
      { key: 'assignment_p99_ms', label: `created → received, ${WORKERS} waiting workers p99`, value: percentile(latency.latencies, 99), unit: 'ms', better: 'lower' },
      { key: 'tasks_per_s', label: `tasks/s, ${WORKERS} workers (pull → running → completed)`, value: tasks / drain.wallSeconds, unit: '/s', better: 'higher' },
      { key: 'cpu_us_per_task', label: 'server CPU per task drained', value: (drain.cpuSeconds * 1e6) / tasks, unit: 'µs', better: 'lower' },
    ],
  }
}
