// The messages of `GET /workers/ws` (SPEC §18, push mode): what a worker may send, checked here
// once, and what the server sends back.
import { TaskcastError, type TaskcastErrorCode, type Task, type WorkerIdentity } from '@taskcast/core'

/** Largest frame a worker may send; a hello with a token and 64 tags fits many times over. */
export const WORKER_WS_MAX_MESSAGE_BYTES = 65_536
/** Most tasks one connection may hold (assigned or running) at once. */
export const WORKER_WS_MAX_CAPACITY = 100

export interface HelloMessage {
  type: 'hello'
  worker: WorkerIdentity
  capacity: number
  /** A bearer token, for a client that cannot set headers on the upgrade (a browser). */
  token?: string
}
export type WorkerMessage = HelloMessage | { type: 'accept' | 'decline'; taskId: string }

export type ServerMessage =
  | { type: 'offer'; task: Task }
  | { type: 'assigned'; task: Task }
  | { type: 'taken'; taskId: string }
  | { type: 'error'; code: TaskcastErrorCode; message: string }

/** Whether a text frame is over the limit, counting UTF-8 bytes only when its length leaves a doubt. */
export function isOversized(text: string): boolean {
  if (text.length > WORKER_WS_MAX_MESSAGE_BYTES) return true
  return text.length * 3 > WORKER_WS_MAX_MESSAGE_BYTES && new TextEncoder().encode(text).length > WORKER_WS_MAX_MESSAGE_BYTES
}

/** @throws TaskcastError `VALIDATION_ERROR` for anything that is not one well-formed message */
export function parseWorkerMessage(text: string): WorkerMessage {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalid('a message must be a JSON object')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('a message must be a JSON object')
  const message = value as Record<string, unknown>
  switch (message.type) {
    case 'hello':
      return parseHello(message)
    case 'accept':
    case 'decline':
      if (typeof message.taskId !== 'string' || message.taskId.length === 0) throw invalid(`${message.type} needs a taskId`)
      return { type: message.type, taskId: message.taskId }
    default:
      throw invalid(`unknown message type ${JSON.stringify(message.type)}: expected hello, accept or decline`)
  }
}

function parseHello(message: Record<string, unknown>): HelloMessage {
  const { workerId, types, tags, capacity = 1, token } = message
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1 || capacity > WORKER_WS_MAX_CAPACITY) {
    throw invalid(`capacity must be an integer from 1 to ${WORKER_WS_MAX_CAPACITY}`)
  }
  if (token !== undefined && (typeof token !== 'string' || token.length === 0)) throw invalid('token must be a non-empty string')
  // The shape only: the engine checks the values its own way when the worker joins.
  if (typeof workerId !== 'string') throw invalid('hello needs a workerId')
  const worker: WorkerIdentity = {
    workerId,
    ...(types !== undefined && { types: types as string[] }),
    ...(tags !== undefined && { tags: tags as string[] }),
  }
  return { type: 'hello', worker, capacity, ...(token !== undefined && { token }) }
}

function invalid(message: string): TaskcastError {
  return new TaskcastError('VALIDATION_ERROR', message)
}
