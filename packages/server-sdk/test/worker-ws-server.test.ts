// serverClient.worker({ mode: 'ws' }) against the real `GET /workers/ws` of @taskcast/server
// (on Node through @hono/node-ws): hello, offer, accept, and the task completes with the
// handler's result, assigned to this worker.
import { serve, type ServerType } from '@hono/node-server'
import { createNodeWebSocket } from '@hono/node-ws'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine, type StatusEventData } from '@taskcast/core'
import { createTaskcastApp, WORKER_WS_MAX_MESSAGE_BYTES, type TaskcastApp } from '@taskcast/server'
import type { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import WebSocket from 'ws'
import { TaskcastServerClient } from '../src/index.js'

const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore() })
let app: TaskcastApp
let server: ServerType
let sdk: TaskcastServerClient

beforeAll(async () => {
  // The upgrade helper needs the app, and the app the helper: it reaches the app once built.
  const nodeWs = createNodeWebSocket({ app: { request: (...args: Parameters<Hono['request']>) => app.request(...args) } as Hono })
  nodeWs.wss.options.maxPayload = WORKER_WS_MAX_MESSAGE_BYTES
  app = createTaskcastApp({ engine, upgradeWebSocket: nodeWs.upgradeWebSocket })
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port))
  })
  nodeWs.injectWebSocket(server)
  sdk = new TaskcastServerClient({ baseUrl: `http://127.0.0.1:${port}` })
})

afterAll(async () => {
  await app.close()
  ;(server as unknown as { closeAllConnections(): void }).closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await engine.stop()
})

it('takes an offered task over the real /workers/ws and completes it with the handler’s result', async () => {
  const task = await sdk.createTask({ type: 'real.job', params: { n: 21 }, assign: {} })
  const errors: unknown[] = []
  const worker = sdk.worker({
    mode: 'ws',
    WebSocket,
    workerId: 'w-real',
    types: ['real.*'],
    handler: async (running) => ({ doubled: (running.params as { n: number }).n * 2 }),
    onError: (error) => errors.push(error),
  })
  try {
    expect(await sdk.waitForStatus(task.id, ['completed'])).toMatchObject({ result: { doubled: 42 }, assignedTo: { workerId: 'w-real' } })
    const history = await sdk.getHistory(task.id, { filter: { types: [] } })
    expect(history.map(({ data }) => (data as StatusEventData).status)).toEqual(['assigned', 'running', 'completed'])
  } finally {
    await worker.stop()
  }
  expect(errors).toEqual([])
})
