// Worker routes (SPEC §18): GET /workers/pull, the long-poll that hands a worker a pending task,
// GET /workers/ws, the socket that offers tasks to a connected worker, and GET /workers, who is
// connected, on every process.
import { TaskcastError, type TaskEngine } from '@taskcast/core'
import { parseWorkerPullParams } from '@taskcast/core/wire'
import type { UpgradeWebSocket } from 'hono/ws'
import { assertAccess, requireScope } from '../auth/index.js'
import type { AuthContext, AuthOptions } from '../auth/auth-types.js'
import type { TaskcastHono } from '../route-context.js'
import { taskView } from '../task-view.js'
import type { PullWaiters } from '../workers/pull-waiters.js'
import { authenticateToken, requestAuthenticator } from '../workers/ws-auth.js'
import type { WsWorkerHub } from '../workers/ws-hub.js'
import { workerSessionEvents } from '../workers/ws-session.js'

export function registerWorkerRoutes(app: TaskcastHono, engine: TaskEngine, waiters: PullWaiters): void {
  app.get('/workers/pull', requireScope('worker:pull'), async (c) => {
    // Read first: @hono/node-server wires a client's disconnect to the signal only once it exists.
    const signal = c.req.raw.signal
    const { timeoutMs, ...worker } = parseWorkerPullParams(new URL(c.req.url).searchParams)
    const task = await waiters.take(worker, timeoutMs, signal)
    return task ? c.json(taskView(task), 200) : c.body(null, 204)
  })
  // Every process's workers: the engine asks the others over the broadcast (SPEC §18).
  app.get('/workers', requireScope('task:manage'), async (c) => c.json({ workers: await engine.listWorkers() }, 200))
}

/**
 * GET /workers/ws, registered before the app's auth middleware: an upgrade with no credentials
 * goes through (a browser cannot set headers on a WebSocket) and its hello must bring a token;
 * one with credentials is checked here, and refused before the upgrade (401, or 403 without
 * `worker:pull`). Without `upgradeWebSocket` (the app was not given one) the route answers 404
 * `ROUTE_NOT_FOUND` once the caller passed auth: the route is there, the feature is not.
 */
export function registerWorkerSocketRoute(
  app: TaskcastHono,
  hub: WsWorkerHub,
  upgradeWebSocket: UpgradeWebSocket | undefined,
  auth: AuthOptions,
  reportError: (error: unknown) => void,
): void {
  const authenticate = requestAuthenticator(auth)
  app.get(
    '/workers/ws',
    async (c, next) => {
      let caller: AuthContext | null
      try {
        caller = await authenticate(c.req.raw)
      } catch (error) {
        const anonymous = TaskcastError.isInstance(error) && error.code === 'UNAUTHORIZED' && c.req.header('authorization') === undefined
        if (!anonymous) throw error
        caller = null
      }
      if (caller) assertAccess(caller, 'worker:pull')
      if (!upgradeWebSocket) throw new TaskcastError('ROUTE_NOT_FOUND', 'WebSocket workers are not served here (the app was given no upgradeWebSocket)')
      const upgrade = upgradeWebSocket(
        () => workerSessionEvents({ hub, caller, reportError, authenticateToken: (token) => authenticateToken(authenticate, c.req.url, token) }),
        // @hono/node-ws's: what its socket handlers throw. The session's handlers catch their own
        // errors, so this is a socket error of the peer's (a bad frame, one over maxPayload) that
        // it failed to wrap (`ErrorEvent` is not global before Node 22); the close that follows
        // cleans up.
        { onError: () => undefined },
      )
      return upgrade(c, next)
    },
    () => {
      throw new TaskcastError('VALIDATION_ERROR', 'GET /workers/ws takes a WebSocket upgrade (Upgrade: websocket)')
    },
  )
}
