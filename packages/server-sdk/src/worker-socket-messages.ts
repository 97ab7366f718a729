// The messages of `GET /workers/ws` (SPEC §18): what the worker sends, and the server's messages
// read from a frame. A frame the worker cannot read is told apart from a type it does not know
// (a later server's addition, ignored).
import { TaskcastError, type Task } from '@taskcast/core'
import { isPlainObject } from '@taskcast/core/internal'
import { taskcastErrorFromWire } from '@taskcast/core/wire'

export interface HelloMessage {
  type: 'hello'
  workerId: string
  types?: string[]
  tags?: string[]
  capacity: number
  /** The token, for an implementation that cannot send the `Authorization` header. */
  token?: string
}

export type WorkerMessage = HelloMessage | { type: 'accept' | 'decline'; taskId: string }

export type ServerMessage =
  | { type: 'offer' | 'assigned'; task: Task }
  | { type: 'taken'; taskId: string }
  | { type: 'error'; error: TaskcastError }
  | { type: 'unknown' }

function unreadable(why: string): TaskcastError {
  return new TaskcastError('VALIDATION_ERROR', `unreadable message from the server: ${why}`)
}

/**
 * The server's message in a text frame.
 * @throws TaskcastError `VALIDATION_ERROR` for a frame that is not JSON, or a known type without its fields
 */
export function readServerMessage(data: unknown): ServerMessage {
  if (typeof data !== 'string') throw unreadable('not a text frame')
  let message: unknown
  try {
    message = JSON.parse(data)
  } catch {
    throw unreadable('not JSON')
  }
  if (!isPlainObject(message)) throw unreadable('not an object')
  switch (message.type) {
    case 'offer':
    case 'assigned':
      if (!isPlainObject(message.task) || typeof message.task.id !== 'string') throw unreadable(`${message.type} without a task`)
      return { type: message.type, task: message.task as unknown as Task }
    case 'taken':
      if (typeof message.taskId !== 'string') throw unreadable('taken without a taskId')
      return { type: 'taken', taskId: message.taskId }
    case 'error':
      return { type: 'error', error: taskcastErrorFromWire(message, { code: 'INTERNAL', message: 'the server reported an error' }) }
    default:
      return { type: 'unknown' }
  }
}
