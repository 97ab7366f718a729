// Test harness: an engine over the in-memory adapters, a real loopback HTTP server, and polling.
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine, type PermissionScope, type TaskcastHooks, type TaskEngineOptions } from '@taskcast/core'
import { createTaskcastApp, type AuthContext, type TaskcastApp, type TaskcastAppOptions } from '../src/index.js'

export interface TestEngine {
  engine: TaskEngine
  broadcast: MemoryBroadcastProvider
  store: MemoryShortTermStore
}

export function makeEngine(
  options: { hooks?: TaskcastHooks; store?: MemoryShortTermStore; engine?: Partial<TaskEngineOptions> } = {},
): TestEngine {
  const broadcast = new MemoryBroadcastProvider()
  const store = options.store ?? new MemoryShortTermStore()
  const engine = new TaskEngine({ ...options.engine, broadcast, shortTermStore: store, hooks: options.hooks })
  return { engine, broadcast, store }
}

export interface TestServer {
  url: string
  port: number
  /** Open sockets, as the server counts them. */
  connections(): Promise<number>
  close(): Promise<void>
}

/** `serve` of an @hono/node-server major (the 1.x one is installed under an alias). */
export type Serve = (
  options: { fetch: (request: Request, env?: unknown) => Response | Promise<Response>; port: number; hostname: string },
  listening: (info: AddressInfo) => void,
) => unknown

/** Serves `fetch` on an ephemeral loopback port (with the newest @hono/node-server unless told). */
export async function startServer(
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>,
  serveWith: Serve = serve as Serve,
): Promise<TestServer> {
  let server!: ServerType
  const port = await new Promise<number>((resolve) => {
    server = serveWith({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port)) as ServerType
  })
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () =>
      new Promise<number>((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        const http = server as unknown as { closeAllConnections?: () => void }
        server.close(() => resolve())
        http.closeAllConnections?.()
      }),
  }
}

/** Polls `condition` every few ms until it holds; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

export function json(body: unknown, init: RequestInit = {}): RequestInit {
  return {
    ...init,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
  }
}

/**
 * A `custom` authenticate for scope tests, from headers: `x-scope` (comma list), `x-tasks`
 * (comma list or `*`, the default), `x-sub`. No `x-scope` header: no credentials.
 */
export async function headerAuth(request: Request): Promise<AuthContext | null> {
  const scope = request.headers.get('x-scope')
  if (scope === null) return null
  const tasks = request.headers.get('x-tasks') ?? '*'
  const sub = request.headers.get('x-sub') ?? undefined
  return {
    scope: scope.split(',').filter(Boolean) as PermissionScope[],
    taskIds: tasks === '*' ? '*' : tasks.split(','),
    claims: {},
    ...(sub && { sub }),
  }
}

export interface RunningApp extends TestEngine {
  app: TaskcastApp
  url: string
}

/**
 * A Taskcast app over a fresh memory engine on a loopback port; `cleanups` gets what stops it
 * (the caller runs them after each test).
 */
export async function startApp(cleanups: (() => Promise<void>)[], options: Partial<TaskcastAppOptions> = {}): Promise<RunningApp> {
  const harness = makeEngine()
  const app = createTaskcastApp({ engine: harness.engine, ...options })
  const server = await startServer(app.fetch)
  cleanups.push(async () => {
    await app.close()
    await server.close()
    await harness.engine.stop()
  })
  return { ...harness, app, url: server.url }
}
