// The producer's side over HTTP: the engine's task and event calls, against a standalone server.
import {
  TaskcastError,
  type CreateTaskInput,
  type PublishEventInput,
  type SeriesFormat,
  type SubscribeFilter,
  type Task,
  type TaskEvent,
  type TaskStatus,
  type TransitionPayload,
} from '@taskcast/core'
import {
  DEFAULT_RECONNECT,
  openSubscription,
  toSubscribeSearchParams,
  type ConnectionSettings,
  type SubscribeOptions,
  type TaskSubscription,
  type TokenSource,
} from '@taskcast/core/wire'
import { request, type RequesterSettings, type RequestOptions, type RetryOptions } from './http-requester.js'

export interface TaskcastServerClientOptions {
  /** The server's URL, e.g. `http://localhost:3721` (a path prefix is kept). */
  baseUrl: string
  /** Sent as `Authorization: Bearer …`; a function is called before every request. */
  token?: TokenSource
  /** @defaultValue `globalThis.fetch`, looked up at call time */
  fetch?: typeof fetch
  /** @defaultValue `{ retries: 2, initialDelayMs: 200, maxDelayMs: 2_000 }` (GET and DELETE only) */
  retry?: RetryOptions
}

export interface HistoryOptions extends RequestOptions {
  /** Which events; `wrap` means nothing for history and is not sent. */
  filter?: Omit<SubscribeFilter, 'wrap'>
  /** @defaultValue 'delta' */
  seriesFormat?: SeriesFormat
  /** At most this many events, the first ones after the cursor. */
  limit?: number
}

const DEFAULT_RETRY: Required<RetryOptions> = { retries: 2, initialDelayMs: 200, maxDelayMs: 2_000 }

function taskPath(taskId: string, rest = ''): string {
  return `/tasks/${encodeURIComponent(taskId)}${rest}`
}

export class TaskcastServerClient {
  private readonly settings: RequesterSettings
  /** How `subscribe` connects: the same stream reader as `@taskcast/client`'s. */
  private readonly streams: ConnectionSettings

  /**
   * @example
   * const taskcast = new TaskcastServerClient({ baseUrl: 'http://localhost:3721', token })
   * const task = await taskcast.createTask({ type: 'llm.chat' })
   * await taskcast.transitionTask(task.id, 'running')
   * await taskcast.publishEvent(task.id, { type: 'llm.delta', data: { text: 'Hi' } })
   * await taskcast.transitionTask(task.id, 'completed', { result: { output: 'Hi' } })
   */
  constructor(options: TaskcastServerClientOptions) {
    const custom = options.fetch
    const fetchImpl: typeof fetch = (input, init) => (custom ? custom(input, init) : globalThis.fetch(input, init))
    this.settings = {
      baseUrl: options.baseUrl,
      token: options.token,
      fetch: fetchImpl,
      retry: { ...DEFAULT_RETRY, ...options.retry },
    }
    this.streams = { baseUrl: options.baseUrl, token: options.token, fetch: fetchImpl, reconnect: DEFAULT_RECONNECT }
  }

  /** @throws TaskcastError `DUPLICATE_TASK`, `VALIDATION_ERROR`, … */
  async createTask(input: CreateTaskInput = {}, options: RequestOptions = {}): Promise<Task> {
    return (await request<Task>(this.settings, 'POST', '/tasks', { body: input, signal: options.signal })).body
  }

  /** The task, or `null` when the server has none by that id (as `engine.getTask`). */
  async getTask(taskId: string, options: RequestOptions = {}): Promise<Task | null> {
    try {
      return (await request<Task>(this.settings, 'GET', taskPath(taskId), { signal: options.signal })).body
    } catch (error) {
      if (TaskcastError.isInstance(error) && error.code === 'TASK_NOT_FOUND') return null
      throw error
    }
  }

  /** @throws TaskcastError `INVALID_TRANSITION`, `CONFLICT`, `TASK_NOT_FOUND`, … */
  async transitionTask(
    taskId: string,
    status: TaskStatus,
    payload: TransitionPayload = {},
    options: RequestOptions = {},
  ): Promise<Task> {
    const body = { status, ...payload }
    return (await request<Task>(this.settings, 'PATCH', taskPath(taskId, '/status'), { body, signal: options.signal }))
      .body
  }

  /** @throws TaskcastError `TASK_NOT_RUNNING`, `VALIDATION_ERROR`, `TASK_NOT_FOUND`, … */
  async publishEvent(taskId: string, input: PublishEventInput, options: RequestOptions = {}): Promise<TaskEvent> {
    const path = taskPath(taskId, '/events')
    return (await request<TaskEvent>(this.settings, 'POST', path, { body: input, signal: options.signal })).body
  }

  /** One request; all stored with consecutive indexes, or none. */
  async publishEvents(
    taskId: string,
    inputs: readonly PublishEventInput[],
    options: RequestOptions = {},
  ): Promise<TaskEvent[]> {
    const path = taskPath(taskId, '/events')
    return (await request<TaskEvent[]>(this.settings, 'POST', path, { body: inputs, signal: options.signal })).body
  }

  /** Stored events, filtered; with `seriesFormat: 'accumulated'`, the running values. */
  async getHistory(taskId: string, options: HistoryOptions = {}): Promise<TaskEvent[]> {
    const { wrap: _ignored, ...filter } = (options.filter ?? {}) as SubscribeFilter
    const query = toSubscribeSearchParams({
      filter,
      ...(options.seriesFormat !== undefined && { seriesFormat: options.seriesFormat }),
      ...(options.limit !== undefined && { limit: options.limit }),
    })
    const path = taskPath(taskId, '/events/history')
    return (await request<TaskEvent[]>(this.settings, 'GET', path, { query, signal: options.signal })).body
  }

  /**
   * Deletes the task and its events. `false` when there was no such task (as
   * `engine.deleteTask`); after a retried request that may mean the first attempt did it.
   */
  async deleteTask(taskId: string, options: RequestOptions = {}): Promise<boolean> {
    try {
      await request<undefined>(this.settings, 'DELETE', taskPath(taskId), { signal: options.signal })
      return true
    } catch (error) {
      if (TaskcastError.isInstance(error) && error.code === 'TASK_NOT_FOUND') return false
      throw error
    }
  }

  /** Streams a task's events, with the reconnect and resume of `@taskcast/client`. */
  subscribe<TData = unknown>(taskId: string, options: SubscribeOptions<TData>): TaskSubscription {
    return openSubscription(this.streams, taskId, options)
  }
}
