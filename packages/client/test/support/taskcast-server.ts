// A real Taskcast server on a loopback port, with a log of SSE connections for assertions.
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine } from '@taskcast/core'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createTaskcastApp, type TaskcastAppOptions } from '@taskcast/server'

type SseRecord = { kind: 'connect' | 'disconnect'; taskId: string }

export interface TestServer {
  url: string
  port: number
  engine: TaskEngine
  /** SSE connects and disconnects seen by the server, in order. */
  sse: SseRecord[]
  /** How many SSE connections of `taskId` are open now. */
  openStreams(taskId: string): number
  /** Resolves once `predicate` holds over the SSE log (checked on every change). */
  sseSettles(predicate: () => boolean): Promise<void>
  close(): Promise<void>
}

export interface TestServerOptions {
  app?: Omit<TaskcastAppOptions, 'engine' | 'hooks'>
  /** Extra routes served before the Taskcast app (a test page, a bundle). */
  routes?: Record<string, () => Response>
}

export async function startTaskcastServer(options: TestServerOptions = {}): Promise<TestServer> {
  const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore() })
  const sse: SseRecord[] = []
  const waiters = new Set<() => void>()
  const record = (entry: SseRecord): void => {
    sse.push(entry)
    for (const check of [...waiters]) check()
  }
  const app = createTaskcastApp({
    ...options.app,
    engine,
    hooks: {
      onSSEConnect: (taskId) => record({ kind: 'connect', taskId }),
      onSSEDisconnect: (taskId) => record({ kind: 'disconnect', taskId }),
    },
  })
  const routes = options.routes ?? {}
  const server = serve({
    fetch: (request: Request) => routes[new URL(request.url).pathname]?.() ?? app.fetch(request),
    port: 0,
    hostname: '127.0.0.1',
  })
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())))
  const { port } = server.address() as AddressInfo
  const openStreams = (taskId: string): number =>
    sse.reduce((open, entry) => (entry.taskId !== taskId ? open : open + (entry.kind === 'connect' ? 1 : -1)), 0)
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    engine,
    sse,
    openStreams,
    sseSettles: (predicate) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (!predicate()) return
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
        check()
      }),
    async close() {
      await app.close()
      ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await engine.stop()
    },
  }
}

/** A running task, ready for events. */
export async function runningTask(engine: TaskEngine, type = 'test'): Promise<string> {
  const task = await engine.createTask({ type })
  await engine.transitionTask(task.id, 'running')
  return task.id
}
