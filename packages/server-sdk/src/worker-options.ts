// The options of `serverClient.worker()` (SPEC §18), their defaults merged and checked once.
// The worker's identity (its id, types and tags) is checked by the server, on the first pull.
import { TaskcastError, type PublishEventInput, type Task, type TaskEvent } from '@taskcast/core'
import { flatUlid } from '@taskcast/core/internal'
import { DEFAULT_PULL_TIMEOUT_MS, MAX_PULL_TIMEOUT_MS, type BackoffOptions } from '@taskcast/core/wire'
import type { TaskProducer } from './producer.js'
import type { ProducerOptions } from './producer-options.js'
import { defaultWebSocket, type WebSocketConstructor } from './worker-socket.js'

/** What a handler gets besides its task. */
export interface WorkerContext {
  /**
   * Aborts when the task ends through anyone but this worker: a cancel, an operator's `failed`, a
   * TTL's `timeout` (the `cancellationSignal` of the task). Its reason is a `TaskcastError`
   * `TASK_NOT_RUNNING`; the worker then leaves the task as it is.
   */
  signal: AbortSignal
  /** Publishes one event to the task (one request, sent once). */
  publish(input: PublishEventInput): Promise<TaskEvent>
  /** Publishes events to the task in one request: all stored with consecutive indexes, or none. */
  publishEvents(inputs: readonly PublishEventInput[]): Promise<TaskEvent[]>
  /**
   * An idempotent producer of the task (`serverClient.producer`): exactly once, in order. The
   * worker closes it when the handler returns, before it completes the task.
   */
  producer(options?: ProducerOptions): TaskProducer
}

/** Runs one task; its result completes the task, its error fails it. */
export type WorkerHandler = (task: Task, context: WorkerContext) => Promise<Record<string, unknown> | undefined | void>

/** Where a worker met an error it could not handle. */
export interface WorkerErrorContext {
  /**
   * `pull`: asking for a task; `socket` (the WebSocket mode): a connection that failed or closed,
   * or an `error` message of the server; `start`, `complete`, `fail`, `release`: moving a task it
   * took; `watch`: following a task for its cancellation signal (which then aborted with this error).
   */
  during: 'pull' | 'socket' | 'start' | 'complete' | 'fail' | 'release' | 'watch'
  taskId?: string
}

export interface WorkerOptions {
  /**
   * Who takes the tasks (`task.assignedTo.workerId`): 1–128 letters, digits, `.`, `_`, `:` or `-`.
   * @defaultValue a random id, new for each worker
   */
  workerId?: string
  /** Task types it runs, with the wildcards of filters (`llm.*`). @defaultValue any task */
  types?: string[]
  /** What it has (`gpu`): it takes a task only when it has every tag the task's `assign` asks for. */
  tags?: string[]
  /** Tasks it runs at once (in pull mode, each on its own pull). @defaultValue 1 */
  capacity?: number
  /**
   * `'pull'`: long-polls of `GET /workers/pull`. `'ws'`: one WebSocket to `GET /workers/ws`, on
   * which the server offers tasks. @defaultValue 'pull'
   */
  mode?: 'pull' | 'ws'
  /**
   * The WebSocket implementation of the `'ws'` mode, e.g. `import WebSocket from 'ws'` on Node 20,
   * which has no stable global one. @defaultValue `globalThis.WebSocket` (Node 22+, browsers, Deno, Bun)
   */
  WebSocket?: WebSocketConstructor
  /** How long one pull waits for a task, 1 … `MAX_PULL_TIMEOUT_MS`. @defaultValue `DEFAULT_PULL_TIMEOUT_MS` */
  pollTimeoutMs?: number
  /** The backoff between pulls that failed, or connections that failed or dropped. @defaultValue `{ initialDelayMs: 500, maxDelayMs: 30_000 }` */
  retry?: BackoffOptions
  handler: WorkerHandler
  /**
   * Errors the worker could not handle; it goes on after each. A failed pull (the server is down,
   * the token refused) is followed by a backoff; a task it could not move is left to its lease or
   * TTL. @defaultValue `console.error`
   */
  onError?: (error: unknown, context: WorkerErrorContext) => void
}

export interface WorkerSettings extends Required<Omit<WorkerOptions, 'types' | 'tags' | 'retry' | 'mode' | 'WebSocket'>> {
  types: string[] | undefined
  tags: string[] | undefined
  retry: Required<BackoffOptions>
  /** How it takes tasks: `pull`, or `ws` with the WebSocket implementation it connects with. */
  mode: { kind: 'pull' } | { kind: 'ws'; WebSocket: WebSocketConstructor }
}

const DEFAULT_RETRY: Required<BackoffOptions> = { initialDelayMs: 500, maxDelayMs: 30_000 }

function invalid(message: string, field: string): TaskcastError {
  return new TaskcastError('VALIDATION_ERROR', message, { details: { field } })
}

function reportToConsole(error: unknown, context: WorkerErrorContext): void {
  console.error(`taskcast worker: ${context.during}${context.taskId === undefined ? '' : ` of task ${context.taskId}`} failed:`, error)
}

/** @throws TaskcastError `VALIDATION_ERROR` (`details.field`) */
export function workerSettings(options: WorkerOptions): WorkerSettings {
  const mode = workerMode(options)
  if (typeof options.handler !== 'function') throw invalid('handler must be a function', 'handler')
  const capacity = options.capacity ?? 1
  if (!Number.isInteger(capacity) || capacity < 1) throw invalid('capacity must be an integer ≥ 1', 'capacity')
  const pollTimeoutMs = options.pollTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS
  if (!Number.isInteger(pollTimeoutMs) || pollTimeoutMs < 1 || pollTimeoutMs > MAX_PULL_TIMEOUT_MS) {
    throw invalid(`pollTimeoutMs must be an integer from 1 to ${MAX_PULL_TIMEOUT_MS}`, 'pollTimeoutMs')
  }
  return {
    workerId: options.workerId ?? `worker-${flatUlid()}`,
    types: options.types,
    tags: options.tags,
    capacity,
    pollTimeoutMs,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    handler: options.handler,
    onError: options.onError ?? reportToConsole,
    mode,
  }
}

function workerMode(options: WorkerOptions): WorkerSettings['mode'] {
  if (options.mode === undefined || options.mode === 'pull') return { kind: 'pull' }
  if (options.mode !== 'ws') throw invalid('mode must be "pull" or "ws"', 'mode')
  const WebSocket = options.WebSocket ?? defaultWebSocket()
  if (typeof WebSocket !== 'function') {
    throw invalid('mode "ws" needs a WebSocket: this runtime has none (Node 20), so pass one, e.g. `import WebSocket from \'ws\'`', 'WebSocket')
  }
  return { kind: 'ws', WebSocket }
}
