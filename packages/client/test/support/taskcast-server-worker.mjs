// The test server of taskcast-server.ts, in a worker thread: for a test whose own realm has
// replaced Node's fetch globals. Under happy-dom, a server in the test's realm cannot read a
// request body (happy-dom's Headers cannot copy @hono/node-server's request headers), so every
// POST would fail there. The test drives the engine with messages: { id, method, args }.
import { parentPort } from 'node:worker_threads'
import { serve } from '@hono/node-server'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine } from '@taskcast/core'
import { createTaskcastApp } from '@taskcast/server'

const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore() })
const app = createTaskcastApp({ engine })
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  parentPort.postMessage({ url: `http://127.0.0.1:${info.port}` })
})

parentPort.on('message', async ({ id, method, args }) => {
  if (method === 'close') {
    await app.close()
    server.closeAllConnections?.()
    await new Promise((resolve) => server.close(resolve))
    await engine.stop()
    parentPort.postMessage({ id })
    parentPort.close()
    return
  }
  try {
    parentPort.postMessage({ id, result: await engine[method](...args) })
  } catch (error) {
    parentPort.postMessage({ id, error: { code: error.code, message: error.message } })
  }
})
