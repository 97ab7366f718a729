// `serverClient.worker()`: a worker (SPEC §18). In pull mode (here) it keeps `capacity` long-polls of
// `GET /workers/pull` going, each running the task it is answered with before it asks again, so
// the worker never holds more than `capacity` tasks. A failed pull waits a backoff before the
// next; stopping aborts the pulls in flight, gives back a task that one was answered with all
// the same, and waits for the handlers that run. The WebSocket mode is `WorkerSocketLoop`'s.
import { TaskcastError, type Task } from '@taskcast/core'
import { backoffDelay, sleep, toWorkerPullSearchParams } from '@taskcast/core/wire'
import { request, type RequesterSettings } from './http-requester.js'
import type { TaskcastServerClient } from './taskcast-server-client.js'
import { workerSettings, type WorkerErrorContext, type WorkerOptions, type WorkerSettings } from './worker-options.js'
import { isRefusal } from './worker-move.js'
import { WorkerTask } from './worker-task.js'
import { WorkerSocketLoop } from './worker-ws.js'

/** A pull is retried by the worker's own loop, with its backoff, never inside the request. */
const NO_RETRY = { retries: 0, initialDelayMs: 0, maxDelayMs: 0 }

export class TaskcastWorker {
  /** The id it pulls under (given, or the random default). */
  readonly workerId: string
  /** Resolves once the worker has stopped: no pull open, no handler running. */
  readonly done: Promise<void>
  private readonly settings: WorkerSettings
  private readonly stopping = new AbortController()
  private readonly tasks: WorkerTask
  /** The WebSocket mode's connection, which then holds the tasks. */
  private readonly socket: WorkerSocketLoop | undefined
  private held = 0

  /** Created by `serverClient.worker()`. @throws TaskcastError `VALIDATION_ERROR` for invalid options */
  constructor(
    private readonly client: TaskcastServerClient,
    private readonly requester: RequesterSettings,
    options: WorkerOptions,
  ) {
    this.settings = workerSettings(options)
    this.workerId = this.settings.workerId
    this.tasks = new WorkerTask(client, this.settings, this.report)
    const { mode } = this.settings
    if (mode.kind === 'ws') {
      const { baseUrl, token } = requester
      this.socket = new WorkerSocketLoop(mode.WebSocket, baseUrl, token, this.settings, this.tasks, this.report, this.stopping.signal)
      this.done = this.socket.run()
      return
    }
    const loops = Array.from({ length: this.settings.capacity }, () => this.loop())
    this.done = Promise.all(loops).then(() => undefined)
  }

  /** Tasks it holds now (taken, or accepted on its socket, and not yet ended or left), at most `capacity`. */
  get running(): number {
    return this.socket?.held ?? this.held
  }

  /**
   * Stops taking tasks (aborts the pulls, or closes the socket) and resolves once every running
   * handler has finished and its task is ended.
   */
  stop(): Promise<void> {
    this.stopping.abort()
    return this.done
  }

  private readonly report = (error: unknown, context: WorkerErrorContext): void => {
    try {
      this.settings.onError(error, context)
    } catch {
      // An onError that throws must not stop the worker.
    }
  }

  private async loop(): Promise<void> {
    let failures = 0
    while (!this.stopping.signal.aborted) {
      let task: Task | null
      try {
        task = await this.pull()
        failures = 0
      } catch (error) {
        if (this.stopping.signal.aborted) return
        this.report(error, { during: 'pull' })
        // This worker's own options are refused (a bad workerId, types or tags): no pull can succeed.
        if (TaskcastError.isInstance(error) && error.code === 'VALIDATION_ERROR') {
          this.stopping.abort(error)
          return
        }
        await sleep(backoffDelay(failures++, this.settings.retry), this.stopping.signal)
        continue
      }
      if (task === null) continue
      this.held++
      try {
        if (this.stopping.signal.aborted) await this.giveBack(task)
        else await this.tasks.run(task)
      } finally {
        this.held--
      }
    }
  }

  /**
   * A task answered after the worker was stopped goes back to the line. Sent once, not to hold
   * the stop up: should it fail, the task's lease brings it back.
   */
  private async giveBack(task: Task): Promise<void> {
    try {
      await this.client.transitionTask(task.id, 'pending', { reason: 'released', workerId: this.settings.workerId })
    } catch (error) {
      // Refused: it is no longer assigned to this worker (cancelled, or its lease already lapsed).
      if (!isRefusal(error)) this.report(error, { during: 'release', taskId: task.id })
    }
  }

  /**
   * One long-poll: the task assigned to this worker, or `null` at the timeout. Stopping aborts it
   * only until its answer begins: a task in an answer is read, to be given back.
   */
  private async pull(): Promise<Task | null> {
    const controller = new AbortController()
    let answered = false
    const abort = (): void => {
      if (!answered) controller.abort(this.stopping.signal.reason)
    }
    this.stopping.signal.addEventListener('abort', abort, { once: true })
    const settings: RequesterSettings = {
      ...this.requester,
      retry: NO_RETRY,
      fetch: async (input, init) => {
        const response = await this.requester.fetch(input, init)
        answered = true
        return response
      },
    }
    const { types, tags, workerId, pollTimeoutMs } = this.settings
    const query = toWorkerPullSearchParams({ workerId, timeoutMs: pollTimeoutMs, ...(types && { types }), ...(tags && { tags }) })
    try {
      const answer = await request<Task>(settings, 'GET', '/workers/pull', { query, signal: controller.signal })
      return answer.status === 200 ? answer.body : null
    } finally {
      this.stopping.signal.removeEventListener('abort', abort)
    }
  }
}
