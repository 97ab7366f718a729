// One worker socket of `GET /workers/ws` (SPEC §18): hello (authenticated by the upgrade or by
// its token), then accept and decline; every message is checked, and nothing a worker sends
// can throw out of a handler.
import { TaskcastError, type TaskcastErrorCode } from '@taskcast/core'
import { MAX_TIMER_DELAY_MS } from '@taskcast/core/internal'
import type { WSContext, WSEvents, WSMessageReceive } from 'hono/ws'
import { hasScope } from '../auth/index.js'
import type { AuthContext } from '../auth/auth-types.js'
import { WsWorkerConnection, type WorkerSocket } from './ws-connection.js'
import type { WsWorkerHub } from './ws-hub.js'
import { isOversized, parseWorkerMessage, WORKER_WS_MAX_MESSAGE_BYTES, type HelloMessage, type ServerMessage, type WorkerMessage } from './ws-messages.js'

/** A socket that has not said a valid hello by then is closed. */
const HELLO_TIMEOUT_MS = 10_000
/** Close codes (RFC 6455). */
const POLICY_VIOLATION = 1008
const MESSAGE_TOO_BIG = 1009

export interface WorkerSessionOptions {
  hub: WsWorkerHub
  /** The caller of the upgrade request; `null` when it carried no credentials and the hello must. */
  caller: AuthContext | null
  authenticateToken: (token: string) => Promise<AuthContext>
  reportError: (error: unknown) => void
}

export function workerSessionEvents(options: WorkerSessionOptions): WSEvents {
  const { hub, reportError } = options
  let ws: WSContext | undefined
  let conn: WsWorkerConnection | undefined
  let helloing = false
  let closed = false
  let helloTimer: ReturnType<typeof setTimeout> | undefined
  let expiryTimer: ReturnType<typeof setTimeout> | undefined

  const send = (message: ServerMessage) => {
    if (!closed && ws?.readyState === 1) ws.send(JSON.stringify(message))
  }
  const close = (code: number, reason: string) => {
    if (closed) return
    closed = true
    ws?.close(code, reason)
  }
  const socket: WorkerSocket = { send, close }
  const refuse = (code: TaskcastErrorCode, message: string) => {
    send({ type: 'error', code, message })
    close(POLICY_VIOLATION, message.slice(0, 120))
  }
  const sendError = (error: unknown) => {
    if (TaskcastError.isInstance(error)) return send({ type: 'error', code: error.code, message: error.message })
    reportError(error)
    send({ type: 'error', code: 'INTERNAL', message: 'internal error' })
  }

  const hello = async (message: HelloMessage): Promise<void> => {
    let caller = options.caller
    if (caller === null) {
      if (message.token === undefined) return refuse('UNAUTHORIZED', 'a token is needed, in the Authorization header of the upgrade or in hello')
      try {
        caller = await options.authenticateToken(message.token)
      } catch (error) {
        if (!TaskcastError.isInstance(error)) reportError(error)
        return refuse('UNAUTHORIZED', TaskcastError.isInstance(error) ? error.message : 'invalid token')
      }
    }
    if (!hasScope(caller, 'worker:pull')) return refuse('FORBIDDEN', 'this endpoint needs the "worker:pull" scope')
    if (closed) return
    const joining = new WsWorkerConnection(message.worker, message.capacity, socket)
    try {
      await hub.join(joining)
    } catch (error) {
      // A bad workerId, types or tags: the worker may say a better hello.
      helloing = false
      return sendError(error)
    }
    if (closed) return void hub.leave(joining)
    conn = joining
    clearTimeout(helloTimer)
    if (caller.expiresAt !== undefined) {
      expiryTimer = setTimeout(() => refuse('UNAUTHORIZED', 'credential expired'), Math.min(MAX_TIMER_DELAY_MS, Math.max(0, caller.expiresAt - Date.now())))
    }
  }

  const handle = (message: WorkerMessage): void => {
    if (!conn) {
      // Nothing is meant to follow a hello before the first offer, which comes once it is checked.
      if (helloing) return refuse('VALIDATION_ERROR', 'a message came while the hello was still being checked: send nothing more until an offer')
      if (message.type !== 'hello') return refuse('VALIDATION_ERROR', 'the first message must be one hello')
      helloing = true
      return void hello(message).catch(reportError)
    }
    if (message.type === 'hello') return refuse('VALIDATION_ERROR', 'hello was already said on this socket')
    if (message.type === 'accept') return void hub.accept(conn, message.taskId).catch(sendError)
    hub.decline(conn, message.taskId)
  }

  return {
    onOpen: (_event, socketContext) => {
      ws = socketContext
      helloTimer = setTimeout(() => refuse('VALIDATION_ERROR', 'no hello in time'), HELLO_TIMEOUT_MS)
    },
    onMessage: (event, socketContext) => {
      ws ??= socketContext
      try {
        const text = textOf(event.data)
        if (text === undefined) {
          if (sizeOf(event.data) > WORKER_WS_MAX_MESSAGE_BYTES) return close(MESSAGE_TOO_BIG, 'message too big')
          return send({ type: 'error', code: 'VALIDATION_ERROR', message: 'messages are JSON in text frames' })
        }
        if (isOversized(text)) return close(MESSAGE_TOO_BIG, 'message too big')
        handle(parseWorkerMessage(text))
      } catch (error) {
        sendError(error)
      }
    },
    onClose: () => {
      closed = true
      clearTimeout(helloTimer)
      clearTimeout(expiryTimer)
      if (!conn) return
      conn.markClosed()
      void hub.leave(conn).catch(reportError)
    },
    onError: (event) => reportError((event as ErrorEvent).error ?? event),
  }
}

function textOf(data: WSMessageReceive): string | undefined {
  return typeof data === 'string' ? data : undefined
}

function sizeOf(data: WSMessageReceive): number {
  return typeof data === 'string' ? data.length : data instanceof Blob ? data.size : data.byteLength
}
