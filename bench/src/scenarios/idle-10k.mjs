// 10,000 idle SSE connections to one server process (Taskcast and the reference alike), all
// subscribed to one running task that publishes nothing.
//   - Memory per connection, as in idle-connections: a warm-up round of as many connections,
//     opened and closed first, then the server's RSS (and JS heap) growth between two forced
//     full GCs, before connecting and once every subscriber has its first frame.
//   - Heartbeat CPU: the server runs with a 2 s SSE heartbeat (run.mjs starts it so; the default
//     is 15 s), so that a 10 s window holds several pings on every connection. The server's CPU
//     over the window is divided by the pings the subscribers received in it, then scaled to
//     what a connection costs per minute at the default heartbeat (4 pings a minute).
// The task then completes: every subscriber must get the status event and taskcast.done.
// File descriptors: each side holds 10,000 sockets; `ulimit -n` here is 20,000 (also the hard
// limit), so neither process needs more, and one loopback address has the ephemeral ports.
import { DEFAULT_HEARTBEAT_MS } from '../servers.mjs'
import { allEnded, sumIntegrity } from '../sse-client.mjs'
import { connectMeasured } from './idle.mjs'
import { complete, cpuWindow, mergeIntegrity, sleep } from './common.mjs'

export const IDLE_10K_HEARTBEAT_MS = 2000
const WINDOW_MS = 10_000

const pings = (subscribers) => subscribers.reduce((sum, s) => sum + s.pings, 0)

export async function idle10k(server, { smoke }) {
  const count = smoke ? 1000 : 10_000
  const { id, warm, subscribers, before, after } = await connectMeasured(server, count, { prefix: 'idle10k', timeoutMs: 60_000, settleMs: 500 })

  const windowMs = smoke ? WINDOW_MS / 2 : WINDOW_MS
  const pingsBefore = pings(subscribers)
  const window = cpuWindow(server.pid)
  await sleep(windowMs)
  const { cpuSeconds, wallSeconds } = window()
  const pinged = pings(subscribers) - pingsBefore
  const cpuUsPerPing = (cpuSeconds * 1e6) / pinged
  const pingsPerMinute = 60_000 / DEFAULT_HEARTBEAT_MS

  await complete(server.base, id)
  await allEnded(subscribers, 60_000)
  return {
    integrity: mergeIntegrity(sumIntegrity([...warm, ...subscribers])),
    metrics: [
      { key: 'rss_kib_per_connection', label: `RSS per idle connection (${count})`, value: (after.rss - before.rss) / 1024 / count, unit: 'KiB', better: 'lower' },
      { key: 'heap_kib_per_connection', label: 'JS heap per idle connection', value: (after.heapUsed - before.heapUsed) / 1024 / count, unit: 'KiB', better: 'lower' },
      { key: 'pings_received', label: `pings received in ${windowMs / 1000} s (heartbeat ${server.heartbeatMs / 1000} s)`, value: pinged, unit: '', better: 'higher' },
      {
        key: 'cpu_us_per_connection_minute_measured',
        label: `server CPU per connection per minute, measured at the ${server.heartbeatMs / 1000} s heartbeat`,
        value: (cpuSeconds * 1e6) / count / (wallSeconds / 60),
        unit: 'µs',
        better: 'lower',
      },
      { key: 'cpu_us_per_ping', label: 'server CPU per heartbeat ping', value: cpuUsPerPing, unit: 'µs', better: 'lower' },
      {
        key: 'heartbeat_cpu_us_per_connection_minute',
        label: `heartbeat CPU per connection per minute (at the default ${DEFAULT_HEARTBEAT_MS / 1000} s)`,
        value: cpuUsPerPing * pingsPerMinute,
        unit: 'µs',
        better: 'lower',
      },
    ],
  }
}
