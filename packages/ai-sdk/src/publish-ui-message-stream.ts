// `publishUIMessageStream`: the server side of the bridge (SPEC §22). It reads an AI SDK UI
// message stream into a Taskcast task, chunk by chunk as `ai.chunk` events, and ends the task
// the way the stream ended. The task's own end (a Stop button's cancel, a TTL) aborts the model
// call in turn.
import {
  isTerminalStatus,
  TaskcastError,
  taskNotFound,
  type TaskError,
  type TerminalStatus,
  type TransitionPayload,
} from '@taskcast/core'
import type { UIMessageChunk } from 'ai'
import { DEFAULT_BATCH, type BatchOptions } from './batch-options.js'
import { ChunkEncoder } from './chunk-events.js'
import type { ChunkSink } from './chunk-sink.js'
import type { UIMessageStreamPublisher } from './publisher.js'
import { taskPort, type TaskPort } from './task-port.js'

type ChunkStream = ReadableStream<UIMessageChunk>

export interface PublishUIMessageStreamOptions {
  /** A `TaskEngine` (embedded) or a `TaskcastServerClient` (standalone server). */
  publisher: UIMessageStreamPublisher
  /** The task to publish into: `pending`, `assigned` (moved to `running` first) or `running`. */
  taskId: string
  /**
   * The UI message stream, e.g. `streamText(...).toUIMessageStream()`, or a function that
   * starts it with the signal to give the model call (`streamText({ abortSignal })`): the
   * signal aborts when the task ends through anyone else, so a cancel stops the model itself
   * and not just the reading. The function is not called for a task that already ended.
   */
  stream: ChunkStream | ((abortSignal: AbortSignal) => ChunkStream | PromiseLike<ChunkStream>)
  /** Stops the stream and cancels the task (its reason, when an `Error`, goes into the status event). */
  abortSignal?: AbortSignal
  /** @defaultValue `{ lingerMs: 5, maxBatch: 100 }` */
  batch?: BatchOptions
}

export interface PublishedUIMessageStream {
  /** How the task ended: by this stream (`completed`, `failed`, `cancelled` on an abort chunk) or by someone else. */
  status: TerminalStatus
  /** The chunks read from the stream. */
  chunks: number
  /** The error the task failed with, when this stream failed it. */
  error?: TaskError
}

/** Task error codes of a stream's failure. */
export const STREAM_ERROR_CODES = {
  /** The stream carried an `error` chunk (its `errorText` is the message). */
  errorChunk: 'UI_MESSAGE_STREAM_ERROR',
  /** Reading the stream threw. */
  threw: 'UI_MESSAGE_STREAM_THREW',
  /** Its chunks could not be stored. */
  publishFailed: 'UI_MESSAGE_STREAM_PUBLISH_FAILED',
} as const

/** What ended the reading, in the order it is checked. */
interface Reading {
  chunks: number
  /** The task ended through someone else. */
  ended: boolean
  /** The caller's `abortSignal` fired. */
  aborted: unknown
  publishFailure: { error: unknown } | undefined
  threw: { error: unknown } | undefined
  abortChunk: { reason: string | undefined } | undefined
  errorText: string | undefined
  finishReason: string | undefined
}

const ignore = (): void => {}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Publishes a UI message stream into a task and ends the task as the stream ended: `completed`
 * when it finished, `failed` on an error chunk or a stream that threw, `cancelled` on an abort
 * chunk. Text, reasoning and tool-input deltas go into one accumulate series per part, so a
 * late joiner replays one snapshot per part; every other chunk is kept as it is. When the task
 * ends through someone else meanwhile (a cancel, a TTL), the signal given to `stream` aborts
 * and the reading stops.
 *
 * @throws TaskcastError `TASK_NOT_FOUND`; `TASK_NOT_RUNNING` for a paused or blocked task; what
 * the publisher throws when it can neither publish nor end the task
 * @example
 * const task = await taskcast.createTask({ type: 'ai.chat' })
 * void publishUIMessageStream({
 *   publisher: taskcast, // a TaskcastServerClient, or a TaskEngine
 *   taskId: task.id,
 *   stream: (abortSignal) => streamText({ model, messages, abortSignal }).toUIMessageStream(),
 * })
 * return c.json({ taskId: task.id })
 */
export async function publishUIMessageStream(options: PublishUIMessageStreamOptions): Promise<PublishedUIMessageStream> {
  const port = taskPort(options.publisher, options.taskId)
  const started = await startTask(port, options.taskId)
  if (started !== 'running') {
    if (typeof options.stream !== 'function') await options.stream.cancel().catch(ignore)
    return { status: started, chunks: 0 }
  }
  const reading = await readIntoTask(port, options)
  return endTask(port, options.taskId, reading)
}

/** Moves a waiting task to `running`; answers the status of one that ended. */
async function startTask(port: TaskPort, taskId: string): Promise<'running' | TerminalStatus> {
  const task = await port.getTask()
  if (!task) throw taskNotFound(taskId)
  if (task.status === 'running' || isTerminalStatus(task.status)) return task.status
  if (task.status === 'pending' || task.status === 'assigned') return (await port.transition('running')).status as 'running'
  throw new TaskcastError('TASK_NOT_RUNNING', `task ${taskId} is ${task.status}: resume it before publishing into it`)
}

async function readIntoTask(port: TaskPort, options: PublishUIMessageStreamOptions): Promise<Reading> {
  const reading: Reading = {
    chunks: 0,
    ended: false,
    aborted: undefined,
    publishFailure: undefined,
    threw: undefined,
    abortChunk: undefined,
    errorText: undefined,
    finishReason: undefined,
  }
  const release = new AbortController()
  const stop = new AbortController()
  const ended = port.endSignal(release.signal)
  const onEnded = (): void => {
    reading.ended = true
    stop.abort(ended.reason)
  }
  const onAborted = (): void => {
    reading.aborted = options.abortSignal?.reason
    stop.abort(options.abortSignal?.reason)
  }
  if (ended.aborted) onEnded()
  else ended.addEventListener('abort', onEnded, { once: true })
  if (options.abortSignal?.aborted) onAborted()
  else options.abortSignal?.addEventListener('abort', onAborted, { once: true })

  const batch = { ...DEFAULT_BATCH, ...options.batch }
  const sink = port.openSink(batch, (error) => {
    reading.publishFailure = { error }
    stop.abort(error)
  })
  // Ended before the model started (a Stop at once): the model is not called at all.
  if (!(stop.signal.aborted && typeof options.stream === 'function')) {
    try {
      const stream = typeof options.stream === 'function' ? await options.stream(stop.signal) : options.stream
      await pump(stream, sink, stop.signal, reading)
    } catch (error) {
      if (!stop.signal.aborted) reading.threw = { error }
    }
  }
  await sink.close().catch((error: unknown) => {
    reading.publishFailure ??= { error }
  })
  // Before this side ends the task, so that its own end is not taken for someone else's.
  ended.removeEventListener('abort', onEnded)
  options.abortSignal?.removeEventListener('abort', onAborted)
  release.abort()
  return reading
}

/** Reads the stream into the sink until it ends or `stop` aborts, noting in `reading` how it went. */
async function pump(stream: ChunkStream, sink: ChunkSink, stop: AbortSignal, reading: Reading): Promise<void> {
  const encoder = new ChunkEncoder()
  const reader = stream.getReader()
  // Cancelling ends a pending read at once, whatever the stream's source does with the abort.
  const cancel = (): void => void reader.cancel(stop.reason).catch(ignore)
  if (stop.aborted) cancel()
  else stop.addEventListener('abort', cancel, { once: true })
  for (;;) {
    const { done, value: chunk } = await reader.read()
    if (done || stop.aborted) return
    reading.chunks++
    if (chunk.type === 'error') reading.errorText ??= chunk.errorText
    if (chunk.type === 'abort') reading.abortChunk ??= { reason: (chunk as { reason?: string }).reason }
    if (chunk.type === 'finish' && chunk.finishReason !== undefined) reading.finishReason = chunk.finishReason
    const full = sink.publish(encoder.encode(chunk))
    if (full) await full
  }
}

/** The move that ends the task after `reading`, or none when it ended through someone else. */
function endingOf(reading: Reading): { status: TerminalStatus; payload: TransitionPayload } | undefined {
  if (reading.ended) return undefined
  if (reading.aborted !== undefined) {
    return { status: 'cancelled', payload: reading.aborted instanceof Error ? { reason: reading.aborted.message } : {} }
  }
  if (reading.publishFailure) {
    const message = messageOf(reading.publishFailure.error)
    return { status: 'failed', payload: { error: { code: STREAM_ERROR_CODES.publishFailed, message } } }
  }
  if (reading.threw) {
    return { status: 'failed', payload: { error: { code: STREAM_ERROR_CODES.threw, message: messageOf(reading.threw.error) } } }
  }
  if (reading.errorText !== undefined) {
    return { status: 'failed', payload: { error: { code: STREAM_ERROR_CODES.errorChunk, message: reading.errorText } } }
  }
  if (reading.abortChunk) {
    const { reason } = reading.abortChunk
    return { status: 'cancelled', payload: reason === undefined ? {} : { reason } }
  }
  return { status: 'completed', payload: reading.finishReason === undefined ? {} : { result: { finishReason: reading.finishReason } } }
}

async function endTask(port: TaskPort, taskId: string, reading: Reading): Promise<PublishedUIMessageStream> {
  const ending = endingOf(reading)
  if (ending) {
    try {
      await port.transition(ending.status, ending.payload)
      return { status: ending.status, chunks: reading.chunks, ...(ending.payload.error && { error: ending.payload.error }) }
    } catch (error) {
      // Someone else ended it first (a cancel racing the last chunk): their end stands.
      const lost = TaskcastError.isInstance(error) && (error.code === 'INVALID_TRANSITION' || error.code === 'CONFLICT')
      if (!lost) throw reading.publishFailure?.error ?? error
    }
  }
  const task = await port.getTask()
  if (!task) throw taskNotFound(taskId)
  if (!isTerminalStatus(task.status)) {
    // Only a publish failure that was not the task's end leaves it unended and unendable here.
    throw reading.publishFailure?.error ?? new TaskcastError('INTERNAL', `task ${taskId} is still ${task.status}`)
  }
  return { status: task.status, chunks: reading.chunks }
}
