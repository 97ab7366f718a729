// One task a worker took (SPEC §18): moved to running, handed to the handler with the task's
// cancellation signal, then completed with the handler's result or failed with its error, unless
// someone else ended it meanwhile.
import { isTerminalStatus, TaskcastError, type Task, type TaskError } from '@taskcast/core'
import { isPlainObject } from '@taskcast/core/internal'
import type { TaskProducer } from './producer.js'
import type { TaskcastServerClient } from './taskcast-server-client.js'
import { moveTask } from './worker-move.js'
import type { WorkerContext, WorkerErrorContext, WorkerSettings } from './worker-options.js'

type Report = (error: unknown, context: WorkerErrorContext) => void

/** How the handler's run ends the task. */
type Ending = { status: 'completed'; result?: Record<string, unknown> } | { status: 'failed'; error: TaskError }

/** Refusals of a result that no later attempt can change: the task fails with them instead. */
const UNSTORABLE: readonly string[] = ['VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE']

/** Whether a cancellation signal's reason says that the task ended, or went, through someone else. */
function endedElsewhere(reason: unknown): boolean {
  return TaskcastError.isInstance(reason) && (reason.code === 'TASK_NOT_RUNNING' || reason.code === 'TASK_NOT_FOUND')
}

function failure(error: unknown): Ending {
  if (!(error instanceof Error)) return { status: 'failed', error: { message: String(error) } }
  const { code } = error as { code?: unknown }
  return { status: 'failed', error: { message: error.message, ...(typeof code === 'string' && { code }) } }
}

function completion(result: unknown): Ending {
  if (result === undefined) return { status: 'completed' }
  if (isPlainObject(result)) return { status: 'completed', result }
  const kind = result === null ? 'null' : Array.isArray(result) ? 'an array' : `a ${typeof result}`
  return { status: 'failed', error: { code: 'VALIDATION_ERROR', message: `the handler must resolve with an object or undefined, not ${kind}` } }
}

export class WorkerTask {
  constructor(
    private readonly client: TaskcastServerClient,
    private readonly settings: WorkerSettings,
    private readonly report: Report,
  ) {}

  /** Runs `task`, assigned to this worker; resolves once the task is ended or left. Never rejects. */
  async run(task: Task): Promise<void> {
    const running = await this.start(task)
    if (running === undefined) return
    // Released once the run is over, however it ended: the watch holds a connection until then.
    const over = new AbortController()
    const signal = this.client.cancellationSignal(task.id, { signal: over.signal })
    try {
      const ending = await this.handle(running, signal)
      if (signal.aborted) {
        // Someone else ended the task (a cancel) or deleted it: it is theirs to end, not the handler's.
        if (endedElsewhere(signal.reason)) return
        // The watch itself was refused (a token without `event:subscribe`): the task is still this worker's.
        this.report(signal.reason, { during: 'watch', taskId: task.id })
      }
      await this.end(task.id, ending)
    } finally {
      over.abort()
    }
  }

  /** The task moved to running; `undefined` when it is no longer this worker's to start. */
  private async start(task: Task): Promise<Task | undefined> {
    const { workerId } = this.settings
    try {
      const outcome = await moveTask(
        this.client,
        {
          taskId: task.id,
          status: 'running',
          // Only while the task is still assigned to this worker: not once its lease lapsed.
          payload: { workerId },
          recognise: (now) => now.status === 'running' && now.assignedTo?.workerId === workerId,
        },
        this.settings.retry,
      )
      // Refused: the lease lapsed and another worker started it, or it was cancelled.
      return outcome.moved ? outcome.task : undefined
    } catch (error) {
      // Left to its lease, which brings it back to pending unless the move did get through.
      this.report(error, { during: 'start', taskId: task.id })
      return undefined
    }
  }

  private async handle(task: Task, signal: AbortSignal): Promise<Ending> {
    const producers: TaskProducer[] = []
    const context: WorkerContext = {
      signal,
      publish: (input) => this.client.publishEvent(task.id, input),
      publishEvents: (inputs) => this.client.publishEvents(task.id, inputs),
      producer: (options) => {
        const producer = this.client.producer(task.id, options)
        producers.push(producer)
        return producer
      },
    }
    let ending: Ending
    try {
      ending = completion(await this.settings.handler(task, context))
    } catch (error) {
      ending = failure(error)
    }
    // Whatever the handler published goes into the log before the task ends (which refuses more).
    const closed = await Promise.allSettled(producers.map((producer) => producer.close()))
    const lost = closed.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')
    return lost && ending.status === 'completed' ? failure(lost.reason) : ending
  }

  private async end(taskId: string, ending: Ending): Promise<void> {
    const { status, ...payload } = ending
    const during = status === 'completed' ? 'complete' : 'fail'
    try {
      const outcome = await moveTask(this.client, { taskId, status, payload, recognise: (now) => now.status === status }, this.settings.retry)
      if (outcome.moved) return
      // Refused: someone else ended it first (nothing to do), or paused or blocked it, which leaves the result nowhere.
      const now = await this.client.getTask(taskId)
      if (now !== null && !isTerminalStatus(now.status)) this.report(outcome.refusal, { during, taskId })
    } catch (error) {
      this.report(error, { during, taskId })
      if (status === 'completed' && TaskcastError.isInstance(error) && UNSTORABLE.includes(error.code)) {
        await this.end(taskId, { status: 'failed', error: { code: error.code, message: error.message } })
      }
    }
  }
}
