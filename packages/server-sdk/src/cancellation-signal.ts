// `cancellationSignal`: an AbortSignal that aborts when a task ends through anyone but this
// client (SPEC §17): a person's Stop (cancel), an operator's `failed`, a TTL's `timeout`. Each
// watch follows a status-only stream of the task. The client tells its watches of the terminal
// moves it asks for itself, so a producer completing its own task is not told it was stopped.
import { isTerminalStatus, type StatusEventData, type TaskStatus, type TerminalStatus } from '@taskcast/core'
import { statusOnlyFilter, type TaskSubscription } from '@taskcast/core/wire'
import { taskEndedError, type TaskEnding } from '@taskcast/core/internal'
import type { TaskcastServerClient } from './taskcast-server-client.js'

export interface CancellationSignalOptions {
  /**
   * Stops watching when it aborts, leaving the returned signal as it is. For a producer that
   * leaves a task without ending it: until the task ends, the watch holds a connection open,
   * and with it a Node process.
   */
  signal?: AbortSignal
}

type Subscribe = TaskcastServerClient['subscribe']

/** One watch: its stream, and the terminal moves this client has asked for meanwhile. */
class CancellationWatch {
  readonly controller = new AbortController()
  private readonly ownMoves = new Map<TerminalStatus, Promise<unknown>>()
  private subscription: TaskSubscription | undefined
  private over = false
  private readonly release = (): void => {
    if (this.over) return
    this.over = true
    this.subscription?.unsubscribe()
    this.options.signal?.removeEventListener('abort', this.release)
    this.onOver()
  }

  constructor(
    subscribe: Subscribe,
    private readonly taskId: string,
    private readonly options: CancellationSignalOptions,
    private readonly onOver: () => void,
  ) {
    options.signal?.addEventListener('abort', this.release, { once: true })
    let sawTerminal = false
    this.subscription = subscribe<StatusEventData>(taskId, {
      filter: statusOnlyFilter(),
      onStatus: (status, envelope) => {
        if (!isTerminalStatus(status)) return
        sawTerminal = true
        this.ended(envelope.data as TaskEnding)
      },
      // Only the done frame tells of an end whose status event was removed (a cleanup rule).
      onDone: (status) => sawTerminal || this.ended({ status }),
      // The task was deleted, or this client may not watch it: either way no cancel can reach the
      // producer any more, which it should hear of rather than work on unaware.
      onError: (error) => this.abort(error),
    })
  }

  /** This client asked for `status`; `outcome` is its answer, which says whether the end was its own. */
  ownMove(status: TerminalStatus, outcome: Promise<unknown>): void {
    this.ownMoves.set(status, outcome)
    outcome.then(this.release, () => this.ownMoves.get(status) === outcome && this.ownMoves.delete(status))
  }

  private ended(ending: TaskEnding): void {
    const own = this.ownMoves.get(ending.status)
    if (own === undefined) return this.abort(taskEndedError(this.taskId, ending))
    // Someone else may have ended it the same way first: then this client's own move failed.
    own.then(this.release, () => this.abort(taskEndedError(this.taskId, ending)))
  }

  private abort(reason: unknown): void {
    if (this.over) return
    this.release()
    this.controller.abort(reason)
  }
}

/** The watches of one client, by task. */
export class CancellationWatches {
  private readonly byTask = new Map<string, Set<CancellationWatch>>()

  /** See `TaskcastServerClient.cancellationSignal`. */
  watch(subscribe: Subscribe, taskId: string, options: CancellationSignalOptions = {}): AbortSignal {
    // Released before it began: nothing is watched, and the signal never aborts.
    if (options.signal?.aborted) return new AbortController().signal
    const group = this.byTask.get(taskId) ?? new Set<CancellationWatch>()
    this.byTask.set(taskId, group)
    const watch: CancellationWatch = new CancellationWatch(subscribe, taskId, options, () => {
      group.delete(watch)
      if (group.size === 0) this.byTask.delete(taskId)
    })
    group.add(watch)
    return watch.controller.signal
  }

  /** Passes on `outcome`, the answer to this client's request to move `taskId` to `status`. */
  ownMove<T>(taskId: string, status: TaskStatus, outcome: Promise<T>): Promise<T> {
    if (isTerminalStatus(status)) for (const watch of this.byTask.get(taskId) ?? []) watch.ownMove(status, outcome)
    return outcome
  }
}
