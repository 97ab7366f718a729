// The producer's side over HTTP: the engine's task and event calls, against a standalone server.
import {
  TaskcastError,
  type CreateTaskInput,
  type PublishEventInput,
  type SeriesFormat,
  type SubscribeFilter,
  type Task,
  type TaskEvent,
  type TaskListPage,
  type TaskListQuery,
  type TaskStatus,
  type TransitionPayload,
} from '@taskcast/core'
import {
  DEFAULT_RECONNECT,
  openSubscription,
  toSubscribeSearchParams,
  toTaskListSearchParams,
  type ConnectionSettings,
  type SubscribeOptions,
  type TaskSubscription,
  type TokenSource,
} from '@taskcast/core/wire'
import { CancellationWatches, type CancellationSignalOptions } from './cancellation-signal.js'
import { recogniseCreateRepeat } from './create-task-repeat.js'
import { request, type RequesterSettings, type RequestOptions, type RetryOptions } from './http-requester.js'
import { TaskProducer } from './producer.js'
import type { ProducerOptions } from './producer-options.js'
import { waitForStatus, type WaitForStatusOptions } from './wait-for-status.js'
import { TaskcastWorker } from './worker.js'
import type { WorkerOptions } from './worker-options.js'

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
  private readonly cancellations = new CancellationWatches()

  /**
   * @example
   * const taskcast = new TaskcastServerClient({ baseUrl: 'http://localhost:3721', token })
   * const task = await taskcast.createTask({ type: 'llm.chat' })
   * await taskcast.transitionTask(task.id, 'running')
   * await taskcast.publishEvent(task.id, { type: 'llm.delta', data: { text: 'Hi' } })
   * await taskcast.transitionTask(task.id, 'completed', { result: { output: 'Hi' } })
   */
  constructor(private readonly options: TaskcastServerClientOptions) {
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

  /**
   * With an `id`, a lost answer is retried like a GET: a repeat that meets `DUPLICATE_TASK`
   * returns the task when it is what this call asked for (see create-task-repeat.ts).
   * @throws TaskcastError `DUPLICATE_TASK`, `VALIDATION_ERROR`, …
   */
  async createTask(input: CreateTaskInput = {}, options: RequestOptions = {}): Promise<Task> {
    const recogniseRepeat = input.id === undefined ? undefined : recogniseCreateRepeat(input, (id) => this.getTask(id, options))
    return (await request<Task>(this.settings, 'POST', '/tasks', { body: input, signal: options.signal, recogniseRepeat })).body
  }

  /**
   * The task, or `null` when the server has none by that id (as `engine.getTask`), with
   * `subscribers`: its open streams on every server process.
   */
  async getTask(taskId: string, options: RequestOptions = {}): Promise<(Task & { subscribers?: number }) | null> {
    try {
      return (await request<Task & { subscribers?: number }>(this.settings, 'GET', taskPath(taskId), { signal: options.signal })).body
    } catch (error) {
      if (TaskcastError.isInstance(error) && error.code === 'TASK_NOT_FOUND') return null
      throw error
    }
  }

  /**
   * A page of tasks, newest first (as `engine.listTasks`); pass its `nextCursor` as `cursor`
   * for the next one. Needs the `task:list` scope.
   * @throws TaskcastError `VALIDATION_ERROR` (`details.field`), `FORBIDDEN`, …
   */
  async listTasks(query: TaskListQuery = {}, options: RequestOptions = {}): Promise<TaskListPage> {
    const params = toTaskListSearchParams(query)
    return (await request<TaskListPage>(this.settings, 'GET', '/tasks', { query: params, signal: options.signal })).body
  }

  /** @throws TaskcastError `INVALID_TRANSITION`, `CONFLICT`, `TASK_NOT_FOUND`, … */
  async transitionTask(
    taskId: string,
    status: TaskStatus,
    payload: TransitionPayload = {},
    options: RequestOptions = {},
  ): Promise<Task> {
    const body = { status, ...payload }
    const sent = request<Task>(this.settings, 'PATCH', taskPath(taskId, '/status'), { body, signal: options.signal })
    return this.cancellations.ownMove(taskId, status, sent.then((answer) => answer.body))
  }

  /**
   * Answers a blocked task: it moves to `running` with `data` (any JSON value) as its
   * `resolution`, which its status event carries too.
   * @throws TaskcastError `INVALID_TRANSITION` (not blocked), `CONFLICT` (another answer won), `TASK_NOT_FOUND`, …
   */
  async resolveTask(taskId: string, data: unknown, options: RequestOptions = {}): Promise<Task> {
    const path = taskPath(taskId, '/resolve')
    return (await request<Task>(this.settings, 'POST', path, { body: { data }, signal: options.signal })).body
  }

  /**
   * Cancels a task that has not ended, from any status; `reason` goes into its status event.
   * @throws TaskcastError `INVALID_TRANSITION` (it already ended), `TASK_NOT_FOUND`, …
   */
  async cancelTask(taskId: string, reason?: string, options: RequestOptions = {}): Promise<Task> {
    const body = reason === undefined ? {} : { reason }
    const sent = request<Task>(this.settings, 'POST', taskPath(taskId, '/cancel'), { body, signal: options.signal })
    return this.cancellations.ownMove(taskId, 'cancelled', sent.then((answer) => answer.body))
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

  /**
   * An idempotent producer for one task (SPEC §19): it numbers, batches and pipelines events and
   * sends each request again after a network error, a 503 or a timeout, so that every event is
   * stored exactly once, in the order of `publish()`. See docs/exactly-once.md.
   * @throws TaskcastError `VALIDATION_ERROR` for invalid options
   * @example
   * const producer = taskcast.producer(task.id, { producerId: 'summariser', epoch: 'claim' })
   * for await (const text of llmStream) void producer.publish({ type: 'llm.delta', data: { text } })
   * await producer.close() // every event stored, or the error that stopped it
   */
  producer(taskId: string, options: ProducerOptions = {}): TaskProducer {
    return new TaskProducer(this.settings, taskPath(taskId, '/events'), options)
  }

  /**
   * A worker (SPEC §18; `mode: 'pull'`, the default, or `'ws'`): it takes pending tasks created with `assign` that match its
   * `types` and `tags`, up to `capacity` at once, moves each to `running`, runs `handler`, and
   * completes the task with its result or fails it with its error; a task someone else ends
   * meanwhile (a cancel aborts `signal`) is left as they ended it. See docs/workers.md.
   * Needs the scopes `worker:pull`, `task:manage`, `event:publish` and `event:subscribe`.
   * @throws TaskcastError `VALIDATION_ERROR` for invalid options (`mode: 'ws'` without a WebSocket implementation among them)
   * @example
   * const worker = taskcast.worker({
   *   types: ['report.*'],
   *   capacity: 4,
   *   handler: async (task, { signal, publish }) => {
   *     await publish({ type: 'report.progress', data: { percent: 50 } })
   *     return { url: await render(task.params, { signal }) }
   *   },
   * })
   * process.once('SIGTERM', () => void worker.stop())
   */
  worker(options: WorkerOptions): TaskcastWorker {
    // A client of its own: its cancellation signals then abort on a cancel sent through this one
    // (a backend that runs workers and serves the Stop button alike), and only its own ends are its own.
    const own = new TaskcastServerClient(this.options)
    return new TaskcastWorker(own, own.settings, options)
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

  /**
   * The task, once its status is one of `statuses`; at once if it already is. It follows a
   * status-only stream, which resumes after a dropped connection with nothing missed.
   * @throws TaskcastError `TASK_NOT_RUNNING` (`details: { status, reason? }`) when the task ends in a
   *   status not among `statuses`; `TASK_NOT_FOUND`, `UNAUTHORIZED`, `FORBIDDEN` as the stream gets
   *   them; `signal.reason` when `signal` aborts
   * @example
   * await taskcast.transitionTask(taskId, 'blocked', { request: { type: 'approval', data: { tool: 'deploy' } } })
   * const { resolution } = await taskcast.waitForStatus(taskId, ['running'])
   */
  waitForStatus(taskId: string, statuses: readonly TaskStatus[], options: WaitForStatusOptions = {}): Promise<Task> {
    return waitForStatus(this, taskId, statuses, options)
  }

  /**
   * An `AbortSignal` that aborts when the task ends through anyone but this client: a cancel
   * (`POST /tasks/:id/cancel`, from a Stop button), a `failed` or `cancelled` set by someone
   * else, a TTL's `timeout`. Its reason is a `TaskcastError` `TASK_NOT_RUNNING` with
   * `details: { taskId, status, reason?, error? }`. An end this client asked for itself
   * (`transitionTask`, `cancelTask`) does not abort it and stops the watch. Hand it to `fetch` or
   * an LLM SDK call, or check `signal.aborted` in a loop.
   *
   * The watch holds a connection until the task ends, this client ends it, or `options.signal`
   * aborts: abort that to leave a task running without keeping a Node process alive.
   * @example
   * const signal = taskcast.cancellationSignal(taskId)
   * const answer = await fetch(llmUrl, { method: 'POST', body, signal }) // stops on a cancel
   */
  cancellationSignal(taskId: string, options: CancellationSignalOptions = {}): AbortSignal {
    return this.cancellations.watch((id, subscription) => this.subscribe(id, subscription), taskId, options)
  }
}
