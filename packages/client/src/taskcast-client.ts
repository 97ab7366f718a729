// The browser (and any fetch runtime) client: one object per server, one subscription per call,
// and the two things a page does to a task, answer it and stop it.
import type { Task } from '@taskcast/core'
import {
  DEFAULT_RECONNECT,
  openSubscription,
  type ConnectionSettings,
  type ReconnectOptions,
  type SubscribeOptions,
  type TaskSubscription,
  type TokenSource,
} from '@taskcast/core/wire'
import { postTaskAction, type TaskActionOptions } from './task-action.js'

export interface TaskcastClientOptions {
  /** The server's URL, or where an app mounts its router, e.g. `http://localhost:3721`. */
  baseUrl: string
  /** Sent as `Authorization: Bearer …`; a function is called before every (re)connection. */
  token?: TokenSource
  /** @defaultValue `globalThis.fetch`, looked up at call time */
  fetch?: typeof fetch
  /** @defaultValue `{ initialDelayMs: 500, maxDelayMs: 30_000, maxAttempts: Infinity, idleTimeoutMs: 45_000 }` */
  reconnect?: ReconnectOptions
}

export class TaskcastClient {
  private readonly settings: ConnectionSettings

  /**
   * @example
   * const client = new TaskcastClient({ baseUrl: 'http://localhost:3721' })
   * const sub = client.subscribe(taskId, {
   *   filter: { types: ['llm.*'] },
   *   onEvent: (e) => console.log(e.data),
   * })
   * try {
   *   console.log(`Task ${await sub.finished}`) // "Task completed"
   * } catch (error) {
   *   if (TaskcastError.isInstance(error)) console.error(error.code) // e.g. TASK_NOT_FOUND
   * }
   * // or, to stop early: sub.unsubscribe()
   */
  constructor(options: TaskcastClientOptions) {
    const custom = options.fetch
    this.settings = {
      baseUrl: options.baseUrl,
      token: options.token,
      // Called without a receiver: browsers throw "Illegal invocation" when fetch is
      // called as a method of anything but window.
      fetch: (input, init) => (custom ? custom(input, init) : globalThis.fetch(input, init)),
      reconnect: { ...DEFAULT_RECONNECT, ...options.reconnect },
    }
  }

  /**
   * Streams a task's events until it finishes, `unsubscribe()` or `signal` aborts, or an
   * error that is not worth retrying; the handle's `finished` tells which. Returns at once
   * (it is safe to `await` the result).
   */
  subscribe<TData = unknown>(taskId: string, options: SubscribeOptions<TData>): TaskSubscription {
    return openSubscription(this.settings, taskId, options)
  }

  /**
   * Answers a blocked task (`POST /tasks/:id/resolve`): it moves to `running`, with `data` (any
   * JSON value) as its `resolution`. Needs the `task:resolve` (or `task:manage`) scope.
   * @throws TaskcastError `INVALID_TRANSITION` (not blocked), `CONFLICT` (another answer won), `FORBIDDEN`, …
   * @example
   * await client.resolve(taskId, { approved: true })
   */
  resolve(taskId: string, data: unknown, options: TaskActionOptions = {}): Promise<Task> {
    return postTaskAction(this.settings, taskId, 'resolve', { data }, options)
  }

  /**
   * Stops a task that has not ended (`POST /tasks/:id/cancel`), whatever its status; `reason`
   * goes into its status event, where its producer reads it. Needs `task:cancel` (or `task:manage`).
   * @throws TaskcastError `INVALID_TRANSITION` (it already ended), `FORBIDDEN`, …
   * @example
   * stopButton.onclick = () => client.cancel(taskId, 'stopped by the user')
   */
  cancel(taskId: string, reason?: string, options: TaskActionOptions = {}): Promise<Task> {
    return postTaskAction(this.settings, taskId, 'cancel', reason === undefined ? {} : { reason }, options)
  }
}
