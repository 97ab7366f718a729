// The fan-out producer, on its own thread: it publishes on schedule and times its requests
// without sharing an event loop with the thousand SSE connections the main thread reads.
import { parentPort, workerData } from 'node:worker_threads'
import { call } from './http-client.mjs'

const { base, path, rate, total, startAt } = workerData
const interval = 1000 / rate
// startAt is an absolute time (ms since the epoch, sub-ms precision) shared with the main thread.
const start = startAt - performance.timeOrigin
const latencies = []
const publishes = []
let k = 0
let failure

await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now()
    while (k < total && start + k * interval <= now) {
      const body = { type: 'llm.delta', data: { text: 'token ' } }
      publishes.push(
        call(base, 'POST', path, body, 201, { sockets: 1 }).then(
          ({ ms }) => latencies.push(ms),
          (error) => (failure ??= String(error?.message ?? error)),
        ),
      )
      k++
    }
    if (k >= total) return resolve()
    setTimeout(tick, Math.max(0, start + k * interval - performance.now()))
  }
  tick()
})
await Promise.all(publishes)
parentPort.postMessage({ latencies, failure })
