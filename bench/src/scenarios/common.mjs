// Helpers shared by the scenarios: task setup, late-join integrity checks, percentiles, CPU windows.
import { cpuSeconds } from '../cpu.mjs'
import { call } from '../http-client.mjs'
import { allEnded, SseSubscriber, sumIntegrity } from '../sse-client.mjs'

let counter = 0

/** A fresh task id, unique within the run. */
export function taskId(prefix) {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`
}

export async function createTask(base, id) {
  await call(base, 'POST', '/tasks', { id, type: 'bench' }, 201)
  return id
}

export async function createRunningTask(base, id) {
  await createTask(base, id)
  await call(base, 'PATCH', `/tasks/${id}/status`, { status: 'running' }, 200)
  return id
}

export async function complete(base, id) {
  await call(base, 'PATCH', `/tasks/${id}/status`, { status: 'completed', result: { ok: true } }, 200)
}

/**
 * Opens one late subscriber per task and checks it receives exactly `expected(taskId)` then
 * taskcast.done. Returns the summed integrity figures.
 */
export async function lateJoinCheck(base, ids, expected, timeoutMs = 60_000) {
  const subscribers = ids.map((id) => new SseSubscriber(base, `/tasks/${id}/events`, { expected: expected(id) }))
  for (const subscriber of subscribers) await subscriber.open()
  await allEnded(subscribers, timeoutMs)
  return sumIntegrity(subscribers)
}

/** The p-th percentile (0–100) of a numeric array (sorted in place). */
export function percentile(values, p) {
  if (values.length === 0) return NaN
  const sorted = values instanceof Float64Array ? values.sort() : values.sort((a, b) => a - b)
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[at]
}

/** A CPU/wall window over the server process. */
export function cpuWindow(pid) {
  const cpu = cpuSeconds(pid)
  const wall = performance.now()
  return () => ({ cpuSeconds: cpuSeconds(pid) - cpu, wallSeconds: (performance.now() - wall) / 1000 })
}

/** Adds the integrity figures of several checks. */
export function mergeIntegrity(...parts) {
  const total = { subscribers: 0, lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0, missingDone: 0, failedRequests: 0 }
  for (const part of parts) for (const key of Object.keys(total)) total[key] += part[key] ?? 0
  total.ok = total.lost + total.duplicated + total.outOfOrder + total.unexpected + total.missingDone + total.failedRequests === 0
  return total
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
