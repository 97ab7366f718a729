// Lifecycle: create → running → completed over HTTP, 16 tasks in flight. Integrity: a sample of
// tasks is replayed late and must give both status events, then taskcast.done.
import { call, pool } from '../http-client.mjs'
import { cpuWindow, lateJoinCheck, mergeIntegrity, percentile, taskId } from './common.mjs'

const CONCURRENCY = 16

export async function lifecycle(server, { smoke }) {
  const count = smoke ? 300 : 3000
  const warmup = Math.ceil(count / 10)
  const latencies = []
  const ids = []
  const one = async (record) => {
    const id = taskId('life')
    const created = await call(server.base, 'POST', '/tasks', { id, type: 'bench', params: { prompt: 'hi' } }, 201, { sockets: CONCURRENCY })
    const running = await call(server.base, 'PATCH', `/tasks/${id}/status`, { status: 'running' }, 200, { sockets: CONCURRENCY })
    const done = await call(server.base, 'PATCH', `/tasks/${id}/status`, { status: 'completed', result: { ok: true } }, 200, {
      sockets: CONCURRENCY,
    })
    if (record) {
      latencies.push(created.ms, running.ms, done.ms)
      ids.push(id)
    }
  }
  await pool(warmup, CONCURRENCY, () => one(false))
  const window = cpuWindow(server.pid)
  await pool(count, CONCURRENCY, () => one(true))
  const { cpuSeconds, wallSeconds } = window()
  const sample = ids.filter((_, i) => i % Math.ceil(ids.length / 20) === 0)
  const integrity = mergeIntegrity(await lateJoinCheck(server.base, sample, () => [0, 1]))
  return {
    integrity,
    metrics: [
      { key: 'tasks_per_s', label: 'tasks/s (3 requests each)', value: count / wallSeconds, unit: '/s', better: 'higher' },
      { key: 'cpu_us_per_task', label: 'server CPU per task', value: (cpuSeconds * 1e6) / count, unit: 'µs', better: 'lower' },
      { key: 'request_p50_ms', label: 'request p50', value: percentile(latencies, 50), unit: 'ms', better: 'lower' },
      { key: 'request_p99_ms', label: 'request p99', value: percentile(latencies, 99), unit: 'ms', better: 'lower' },
    ],
  }
}
