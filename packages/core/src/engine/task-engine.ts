// The task engine: every rule of the product, over pluggable storage (SPEC §3).
import { systemClock, type Clock } from '../clock.js'
import { isTaskCreatedAgain, TaskcastError, taskNotFound } from '../errors.js'
import { FilteredStream } from '../filtered-stream.js'
import { selectsEveryEvent } from '../filter.js'
import { readLog } from '../read-log.js'
import { HookRegistry, type TaskcastHooks } from '../hooks.js'
import { resolveAccField } from '../series.js'
import { canTransition, isTerminalStatus, type TransitionCause } from '../state-machine.js'
import type { BroadcastProvider } from '../storage/broadcast-provider.js'
import type { LongTermStore } from '../storage/long-term-store.js'
import { validateProducerStamp, type ProducerStamp } from '../producer-sequence.js'
import type { EventDraft, ProducerAppend, ShortTermStore, TransitionRequest } from '../storage/short-term-store.js'
import type {
  CleanupRule,
  CreateTaskInput,
  PublishEventInput,
  SeriesFormat,
  StatusEventData,
  SubscribeFilter,
  Task,
  TaskAssignee,
  TaskEvent,
  TaskStatus,
  TransitionPayload,
} from '../types.js'
import { STATUS_EVENT_TYPE, TASK_CREATED_TYPE, TASK_DELETED_TYPE, type TaskCreatedData } from '../types.js'
import {
  isValidatedCreateTaskInput,
  validateCreateTaskInput,
  validatePublishEventInput,
  validateResolution,
  validateTransition,
} from '../validation.js'
import { CleanupScheduler } from './cleanup-scheduler.js'
import { DeadlineScheduler } from './deadline-scheduler.js'
import { LongTermWriter, type LongTermWriterOptions } from './long-term-writer.js'
import { createIdFactory } from '../ids.js'
import { SharedDeadlinePoller } from './shared-deadline-poller.js'
import { storeHealth, type EngineHealth } from './store-health.js'
import { PreparedReplay } from './prepared-replay.js'
import { FinishedLogs } from './finished-logs.js'
import { TaskFactsCache, type TaskFacts } from './task-facts.js'
import { SharedReads } from './shared-reads.js'
import { SubscriptionRegistry } from './subscription-registry.js'
import { listTasks, type ListTasksOptions } from './task-lister.js'
import { GlobalFeed, type GlobalListener } from './global-feed.js'
import { LeaseSweeper } from './lease-sweeper.js'
import { validateWorkerIdentity, WAITING_COUNT_LIMIT, workerTakes, type WorkerIdentity, type WorkerListing } from '../worker-match.js'
import { TASK_LIST_MAX_LIMIT, type TaskListPage, type TaskListQuery } from '../task-list.js'
import { Subscription, type SubscriptionOptions, type SubscriptionHandlers, type SubscriptionSource } from './subscription.js'

export interface TaskEngineOptions {
  broadcast: BroadcastProvider
  shortTermStore: ShortTermStore
  /** Archive that reads fall back to; written asynchronously. */
  longTermStore?: LongTermStore
  hooks?: TaskcastHooks
  /** Global cleanup rules; a task's own `cleanup.rules` replace them for that task. */
  cleanup?: { rules: CleanupRule[] }
  /** @defaultValue the system clock */
  clock?: Clock
  longTermWriter?: LongTermWriterOptions
  /**
   * How often to ask a store with shared deadlines (`dueDeadlines`) for expired tasks.
   * @defaultValue 1000
   */
  deadlinePollMs?: number
  /**
   * How often each task with subscribers is looked up, so that its subscribers end
   * (`onGone`) when it vanished without this engine seeing it go: expired, deleted through
   * another process, or lost with the store. @defaultValue 10_000
   */
  subscriptionCheckMs?: number
  /**
   * How often the tasks assigned to workers are checked for a lapsed lease (SPEC §18), once
   * this engine takes part in assignment. @defaultValue 1000
   */
  leaseSweepMs?: number
}

/** A subscription whose log is read and cursor checked (`TaskEngine.prepareSubscription`). */
export interface PreparedSubscription {
  /** The task as read for it. */
  readonly task: Task
  /** Nothing of the log follows the cursor: the replay will deliver no event. */
  readonly replayEmpty: boolean
  /** Streams the replay then live events to `handlers`, once; returns the unsubscribe function. */
  start(handlers: SubscriptionHandlers): () => void
}

export interface PublishOptions {
  /** The request's stamp when it comes from an idempotent producer (SPEC §19). */
  producer?: ProducerStamp
}

export interface GetEventsOptions {
  filter?: Omit<SubscribeFilter, 'wrap'>
  limit?: number
  /** @defaultValue 'delta' */
  seriesFormat?: SeriesFormat
}

export class TaskEngine {
  private readonly broadcast: BroadcastProvider
  private readonly shortTerm: ShortTermStore
  private readonly longTerm: LongTermStore | undefined
  private readonly clock: Clock
  private readonly hooks = new HookRegistry()
  /** One ULID per event, monotonic within the process. */
  private readonly nextId = createIdFactory()
  private readonly ttl: DeadlineScheduler
  private readonly cleanup: CleanupScheduler
  private readonly writer: LongTermWriter | undefined
  private readonly subscriptions: SubscriptionRegistry
  /** What each app serving workers here says it has (`GET /workers`). */
  private readonly rosters = new Set<() => WorkerListing[]>()
  /** Reads of a task under way, shared by the subscriptions that check it at the same moment. */
  private readonly taskReads = new SharedReads<Task | null>()
  /** Reads of a task's log under way, shared by the readers that connect at the same moment. */
  private readonly logReads = new SharedReads<{ task: Task | null; events: TaskEvent[] }>()
  private readonly eventReads = new SharedReads<TaskEvent[]>()
  private readonly finishedLogs = new FinishedLogs()
  /** What never changes of the tasks this engine published to for callers (see `publishAdmitted`). */
  private readonly taskFacts = new TaskFactsCache()
  /** Shared by every subscription (one object, not a set of closures per subscriber). */
  private readonly subscriptionSource: SubscriptionSource
  private readonly forgetSubscription = (ended: Subscription): void => {
    this.subscriptions.delete(ended)
  }
  private deadlinePoller: SharedDeadlinePoller | undefined
  private readonly feed: GlobalFeed
  private readonly leases: LeaseSweeper

  constructor(options: TaskEngineOptions) {
    this.broadcast = options.broadcast
    this.shortTerm = options.shortTermStore
    this.subscriptionSource = {
      broadcast: this.broadcast,
      loadLog: (id, filter, seriesFormat) => this.logFor(id, undefined, filter, seriesFormat),
      readRange: (id, range) => this.shortTerm.getEvents(id, range),
      currentTask: (id) => this.currentTask(id),
    }
    this.longTerm = options.longTermStore
    this.clock = options.clock ?? systemClock
    if (options.hooks) this.hooks.add(options.hooks)
    const report = this.hooks.reportError.bind(this.hooks)
    this.subscriptions = new SubscriptionRegistry(
      this.clock,
      (id) => this.currentTask(id),
      options.subscriptionCheckMs ?? 10_000,
      (error) => report(error, { source: 'subscription-check' }),
    )
    // A deadline the store also keeps is forgotten there once dealt with here, so that the
    // store's poll does not handle it a second time.
    this.ttl = new DeadlineScheduler(this.clock, (taskId) => void this.expireAndForget(taskId))
    this.cleanup = new CleanupScheduler({
      clock: this.clock,
      rules: options.cleanup?.rules ?? [],
      shortTerm: this.shortTerm,
      longTerm: this.longTerm,
      reportError: report,
      removed: (taskId) => this.finishedLogs.drop(taskId),
    })
    if (this.shortTerm.dueDeadlines) {
      this.deadlinePoller = new SharedDeadlinePoller(
        this.shortTerm,
        this.clock,
        options.deadlinePollMs ?? 1000,
        (taskId) => this.expireTask(taskId),
        (error) => report(error, { source: 'ttl' }),
      )
    }
    this.leases = new LeaseSweeper(
      this.shortTerm,
      this.clock,
      options.leaseSweepMs ?? 1000,
      (task) => this.giveBack(task, 'lease-expired'),
      (error) => report(error, { source: 'lease' }),
    )
    this.feed = new GlobalFeed(this.broadcast, (id) => this.currentTask(id), (error) => report(error, { source: 'global-feed' }))
    // Other processes ask for counts only when someone reads a task's `subscribers`.
    this.broadcast.serveSubscriberCounts?.((id) => this.subscriptions.countOf(id))
    this.broadcast.serveWorkers?.(() => this.workersHere())
    if (this.longTerm) {
      this.writer = new LongTermWriter(this.longTerm, this.shortTerm, this.clock, report, options.longTermWriter)
    }
  }

  /** Adds a set of hooks (the server adds its webhook dispatcher this way). Returns a remover. */
  addHooks(hooks: TaskcastHooks): () => void {
    return this.hooks.add(hooks)
  }

  /** Runs hooks safely from outside the engine (the server's SSE and webhook hooks). */
  emitHook: HookRegistry['emit'] = (name, ...args) => this.hooks.emit(name, ...args)

  /**
   * Whether a cleanup rule may delete `task` (or events of it) once it ends: its own rules, or
   * the global ones. Readers that must finish after the end (webhook delivery) read the log while
   * it is still whole only then.
   */
  mayCleanUp(task: Pick<Task, 'cleanup'>): boolean {
    return this.cleanup.rulesFor(task).length > 0
  }

  /** Reports an error to `onUnhandledError` hooks. */
  reportError: HookRegistry['reportError'] = (error, context) => this.hooks.reportError(error, context)

  async createTask(input: CreateTaskInput = {}): Promise<Task> {
    const valid = isValidatedCreateTaskInput(input) ? input : validateCreateTaskInput(input)
    const now = this.clock.now()
    const task: Task = { id: valid.id ?? this.nextId(now), status: 'pending', createdAt: now, updatedAt: now }
    if (valid.type !== undefined) task.type = valid.type
    if (valid.params !== undefined) task.params = valid.params
    if (valid.metadata !== undefined) task.metadata = valid.metadata
    if (valid.ttl !== undefined) task.ttl = valid.ttl
    if (valid.authConfig !== undefined) task.authConfig = valid.authConfig
    if (valid.webhooks !== undefined) task.webhooks = valid.webhooks
    if (valid.cleanup !== undefined) task.cleanup = valid.cleanup
    if (valid.assign !== undefined) {
      task.assign = valid.assign
      this.leases.start()
    }
    // An archived task still owns its id.
    const archived = valid.id !== undefined && this.longTerm ? await this.longTerm.getTask(valid.id) : null
    // In the archive outbox before it exists, so that no crash leaves it out (see LongTermWriter).
    if (!archived) await this.writer?.beforeCreate(task.id)
    if (archived || !(await this.shortTerm.createTask(task))) {
      throw new TaskcastError('DUPLICATE_TASK', `task ${task.id} already exists`)
    }
    this.writer?.saveTask(task)
    this.taskFacts.remember(task)
    if (task.ttl !== undefined) this.ttl.schedule(task.id, task.createdAt + task.ttl * 1000)
    this.announceCreation(task)
    this.hooks.emit('onTaskCreated', task)
    return task
  }

  /** The task from the short-term store, else from the long-term archive, else `null`. */
  async getTask(taskId: string): Promise<Task | null> {
    const task = await this.shortTerm.getTask(taskId)
    if (task || !this.longTerm) return task
    return this.longTerm.getTask(taskId)
  }

  /** Whether `watchEvents` works: the broadcast provider can carry every task's events. */
  get canWatchEvents(): boolean {
    return this.feed.supported
  }

  /**
   * Calls `listener` with the live events of every task, on every process sharing the
   * broadcast (`GET /events`, SPEC §21), with the facts of each event's task that never
   * change; returns the function that stops it. Live only and, across processes, as lossy as
   * the broadcast: a watcher that must not miss anything lists tasks and reads their logs.
   * @throws TaskcastError `VALIDATION_ERROR` when the broadcast provider cannot carry every
   * task's events (no `subscribeAll`)
   */
  watchEvents(listener: GlobalListener): () => void {
    if (!this.canWatchEvents) {
      throw new TaskcastError('VALIDATION_ERROR', 'the broadcast provider cannot stream every task (it has no subscribeAll)')
    }
    return this.feed.listen(listener)
  }

  /**
   * How many live subscribers the task has, in this process and, when the broadcast can ask
   * them (`countElsewhere`), in every other one; a process that does not answer within
   * `timeoutMs` is left out.
   */
  async countSubscribers(taskId: string, timeoutMs = 250): Promise<number> {
    const here = this.subscriptions.countOf(taskId)
    if (!this.broadcast.countElsewhere) return here
    return here + (await this.broadcast.countElsewhere(taskId, timeoutMs))
  }

  /**
   * Adds the workers an app serves (its long-polls and sockets) to what `listWorkers` answers,
   * here and to other processes; returns the function that takes them out again.
   */
  addWorkerRoster(list: () => WorkerListing[]): () => void {
    const entry = () => list()
    this.rosters.add(entry)
    return () => this.rosters.delete(entry)
  }

  /**
   * The workers connected now: this process's and, when the broadcast can ask them
   * (`workersElsewhere`), every other one's; a process that does not answer within `timeoutMs`
   * is left out.
   */
  async listWorkers(timeoutMs = 250): Promise<WorkerListing[]> {
    const here = this.workersHere()
    if (!this.broadcast.workersElsewhere) return here
    return [...here, ...(await this.broadcast.workersElsewhere(timeoutMs))]
  }

  private workersHere(): WorkerListing[] {
    return [...this.rosters].flatMap((list) => list())
  }

  /**
   * Assigns the oldest pending task `worker` may take (SPEC §18) to it: `pending → assigned`,
   * compare-and-set, so a task goes to exactly one worker whichever process each asks. Resolves
   * the assigned task, or `null` when none waits for this worker. The worker then moves it to
   * `running` within the task's lease, or it goes back to `pending`.
   * @throws TaskcastError `VALIDATION_ERROR` (a bad worker, or a store without a task index)
   */
  async claimTask(worker: WorkerIdentity): Promise<Task | null> {
    validateWorkerIdentity(worker)
    this.leases.start()
    for await (const task of this.waitingFor(worker)) {
      // Null: another worker took it first; on to the next one.
      const assigned = await this.assign(task, worker)
      if (assigned) return assigned
    }
    return null
  }

  /**
   * Assigns this one pending task to `worker` (a WebSocket worker accepting an offer, SPEC §18):
   * the same compare-and-set as `claimTask`. Resolves the assigned task, or `null` when it is no
   * longer pending (another worker won it, or it was cancelled).
   * @throws TaskcastError `VALIDATION_ERROR` (a bad worker, or one that may not take this task), `TASK_NOT_FOUND`
   */
  async assignTask(taskId: string, worker: WorkerIdentity): Promise<Task | null> {
    validateWorkerIdentity(worker)
    const task = await this.shortTerm.getTask(taskId)
    if (!task) throw taskNotFound(taskId)
    if (!workerTakes(worker, task)) throw new TaskcastError('VALIDATION_ERROR', `worker ${worker.workerId} may not take task ${taskId}`)
    if (task.status !== 'pending') return null
    this.leases.start()
    return this.assign(task, worker)
  }

  /**
   * Up to `limit` pending tasks `worker` may take, oldest first, without assigning them (what a
   * WebSocket worker is offered); `skip` leaves out tasks by id (already offered, declined).
   * @throws TaskcastError `VALIDATION_ERROR` (a bad worker, or a store without a task index)
   */
  async pendingTasksFor(worker: WorkerIdentity, limit: number, skip: (taskId: string) => boolean = () => false): Promise<Task[]> {
    validateWorkerIdentity(worker)
    const found: Task[] = []
    if (limit <= 0) {
      this.requireTaskIndex()
      return found
    }
    for await (const task of this.waitingFor(worker)) {
      if (skip(task.id)) continue
      found.push(task)
      if (found.length >= limit) break
    }
    return found
  }

  /**
   * How many pending tasks wait for a worker (created with `assign`), in every process's view:
   * counted from the task index, up to `WAITING_COUNT_LIMIT` (a count at the limit means at
   * least that many). Resolves `null` when the store keeps no task index.
   */
  async countWaitingTasks(): Promise<number | null> {
    const { listTasks } = this.shortTerm
    if (!listTasks) return null
    let count = 0
    let after: string | undefined
    // Pages can come back short (other pending tasks examined on the way): bound those too.
    for (let pages = 0; count < WAITING_COUNT_LIMIT && pages < (2 * WAITING_COUNT_LIMIT) / TASK_LIST_MAX_LIMIT; pages++) {
      const page = await listTasks.call(this.shortTerm, {
        statuses: ['pending'],
        assignable: true,
        limit: TASK_LIST_MAX_LIMIT,
        ...(after !== undefined && { after }),
      })
      count += page.tasks.length
      if (page.next === null) break
      after = page.next
    }
    return Math.min(count, WAITING_COUNT_LIMIT)
  }

  /** The pending tasks `worker` may take, oldest first, read from the task index a page at a time. */
  private async *waitingFor(worker: WorkerIdentity): AsyncGenerator<Task> {
    const listTasks = this.requireTaskIndex()
    let after: string | undefined
    for (let page = 0; page < 20; page++) {
      const found = await listTasks({
        statuses: ['pending'],
        assignable: true,
        oldestFirst: true,
        limit: 50,
        ...(worker.types && { types: worker.types }),
        ...(after !== undefined && { after }),
      })
      for (const task of found.tasks) if (workerTakes(worker, task)) yield task
      if (found.next === null) return
      after = found.next
    }
  }

  /** `pending → assigned` to `worker`; `null` when the compare-and-set lost (someone moved it first). */
  private async assign(task: Task, worker: WorkerIdentity): Promise<Task | null> {
    const assignedTo = { workerId: worker.workerId, at: this.clock.now() }
    try {
      return await this.applyTransition(task, 'assigned', { workerId: worker.workerId, assignedTo }, 'worker')
    } catch (error) {
      if (TaskcastError.isInstance(error) && error.code === 'CONFLICT') return null
      throw error
    }
  }

  private requireTaskIndex(): NonNullable<ShortTermStore['listTasks']> {
    const { listTasks } = this.shortTerm
    if (!listTasks) throw new TaskcastError('VALIDATION_ERROR', 'this store keeps no task index, so tasks cannot be assigned')
    return listTasks.bind(this.shortTerm)
  }

  /**
   * Gives an assigned task back to the waiting line (`assigned → pending`, the status event
   * says `reason`): for a worker that is gone. A task no longer assigned, or, given
   * `assignment`, no longer that assignment (its lease lapsed and another worker took it), is
   * left as it is: the store compares the assignment too. Resolves whether it went back.
   */
  async releaseTask(taskId: string, reason: string, assignment?: TaskAssignee): Promise<boolean> {
    const task = await this.shortTerm.getTask(taskId)
    if (task?.status !== 'assigned') return false
    if (assignment && (task.assignedTo?.workerId !== assignment.workerId || task.assignedTo.at !== assignment.at)) return false
    return this.giveBack(task, reason)
  }

  /**
   * A page of tasks, newest first (SPEC §21), from the short-term store's task index or, with
   * `source: 'archive'`, from the long-term store; `options.taskIds` restricts it to those tasks.
   * @throws TaskcastError `VALIDATION_ERROR` (`details.field`: the bad field; `source` when the
   * store keeps no index or no archive is configured)
   */
  listTasks(query: TaskListQuery = {}, options: ListTasksOptions = {}): Promise<TaskListPage> {
    return listTasks(this.shortTerm, this.longTerm, query, options)
  }

  /**
   * Moves the task to `status` (SPEC §2), compare-and-set: of concurrent transitions exactly
   * one wins; a loser gets `CONFLICT` when the status changed after it read it.
   * @throws TaskcastError `VALIDATION_ERROR`, `TASK_NOT_FOUND`, `INVALID_TRANSITION`, `CONFLICT`
   */
  async transitionTask(taskId: string, status: TaskStatus, payload: TransitionPayload = {}): Promise<Task> {
    const valid = validateTransition(status, payload)
    const task = await this.liveTask(taskId, valid.status)
    const { workerId } = valid.payload
    if (workerId !== undefined && (task.status !== 'assigned' || task.assignedTo?.workerId !== workerId)) {
      throw new TaskcastError('CONFLICT', `task ${taskId} is not assigned to worker ${workerId}`, { details: { status: task.status } })
    }
    // A task that waits for a worker starts through one, so that a worker whose lease lapsed
    // cannot start it behind the back of the line.
    if (task.assign !== undefined && task.status === 'pending' && valid.status === 'running') {
      throw new TaskcastError('INVALID_TRANSITION', `task ${taskId} waits for a worker (it was created with assign): it starts once assigned`)
    }
    return this.applyTransition(task, valid.status, valid.payload, 'api')
  }

  /**
   * Answers a blocked task (SPEC §16): `blocked → running`, with `data` stored as
   * `task.resolution` and carried in the status event. Of concurrent resolutions exactly one
   * wins; the others get `CONFLICT` or `INVALID_TRANSITION`.
   * @throws TaskcastError `VALIDATION_ERROR`, `TASK_NOT_FOUND`, `INVALID_TRANSITION` (not blocked), `CONFLICT`
   */
  async resolveTask(taskId: string, data: unknown): Promise<Task> {
    const resolution = validateResolution(data)
    const task = await this.liveTask(taskId, 'running')
    if (task.status !== 'blocked') {
      throw new TaskcastError('INVALID_TRANSITION', `cannot resolve a task that is ${task.status}; only a blocked task takes an answer`)
    }
    return this.applyTransition(task, 'running', { resolution }, 'api')
  }

  /**
   * Cancels a task that has not ended (SPEC §17), with an optional `reason` for its status event.
   * @throws TaskcastError `VALIDATION_ERROR`, `TASK_NOT_FOUND`, `INVALID_TRANSITION` (already ended), `CONFLICT`
   */
  cancelTask(taskId: string, reason?: string): Promise<Task> {
    return this.transitionTask(taskId, 'cancelled', reason === undefined ? {} : { reason })
  }

  /** The task from the short-term store, for a move to `to`; an archived task has ended, so no move applies. */
  private async liveTask(taskId: string, to: TaskStatus): Promise<Task> {
    const task = await this.shortTerm.getTask(taskId)
    if (task) return task
    const archived = await this.longTerm?.getTask(taskId)
    if (archived) throw invalidTransition(archived.status, to)
    throw taskNotFound(taskId)
  }

  async publishEvent(taskId: string, input: PublishEventInput): Promise<TaskEvent> {
    const [event] = await this.publishEvents(taskId, [input])
    return event!
  }

  /**
   * Publishes a batch atomically: all events get consecutive indexes, or none is stored. With
   * `producer`, the batch is a stamped request of an idempotent producer (SPEC §19): a retry
   * answers the events as first stored and appends nothing (see `publishAsProducer`).
   */
  async publishEvents(taskId: string, inputs: PublishEventInput[], options: PublishOptions = {}): Promise<TaskEvent[]> {
    if (options.producer) return (await this.publishAsProducer(taskId, inputs, options.producer)).events
    const drafts = this.draftsOf(taskId, inputs)
    const events = await this.appending(taskId, () => this.shortTerm.appendEvents(taskId, drafts))
    await this.announce(taskId, events)
    return events
  }

  /**
   * `publishEvents` (with `producer`, `publishAsProducer`) for a caller whose right to publish
   * may depend on the task's own rules: `admit` is given the task's facts and throws to refuse,
   * before anything is validated or stored. The facts never change after the task's creation,
   * so they are remembered, and the store confirms in the append itself that the task is still
   * the one they are of: a publish reads the task once, not every time. A task deleted and
   * created again is read, and admitted, anew.
   * @throws TaskcastError `TASK_NOT_FOUND` (before `admit`), what `admit` throws, and what
   * `publishEvents` and `publishAsProducer` throw
   */
  async publishAdmitted(
    taskId: string,
    inputs: PublishEventInput[],
    admit: (task: TaskFacts) => void,
    producer?: ProducerStamp,
  ): Promise<ProducerAppend> {
    let facts = await this.factsOf(taskId, false)
    admit(facts)
    const stamp = producer && validateProducerStamp(producer)
    const drafts = this.draftsOf(taskId, inputs)
    for (let attempt = 0; ; attempt++) {
      const expect = this.shortTerm.checksAppendExpectation ? { createdAt: facts.createdAt } : undefined
      try {
        const outcome = await this.appending(taskId, async () =>
          stamp
            ? this.shortTerm.appendProducerEvents(taskId, drafts, stamp, expect)
            : { events: await this.shortTerm.appendEvents(taskId, drafts, expect), retry: false },
        )
        if (!outcome.retry) await this.announce(taskId, outcome.events)
        return outcome
      } catch (error) {
        if (attempt > 0 || !isTaskCreatedAgain(error)) throw error
        facts = await this.factsOf(taskId, true)
        admit(facts)
      }
    }
  }

  /** The facts of a task, remembered (only where the store can confirm them at append) or read. */
  private async factsOf(taskId: string, fresh: boolean): Promise<TaskFacts> {
    const remembered = this.shortTerm.checksAppendExpectation && !fresh ? this.taskFacts.get(taskId) : undefined
    if (remembered) return remembered
    const task = await this.getTask(taskId)
    if (!task) {
      this.taskFacts.forget(taskId)
      throw taskNotFound(taskId)
    }
    return this.taskFacts.remember(task)
  }

  /**
   * `publishEvents` for a request stamped by an idempotent producer, saying whether it was a
   * retry (nothing appended, nothing announced again).
   * @throws TaskcastError `STALE_PRODUCER` (`details.currentEpoch`), `SEQUENCE_GAP`
   * (`details.expectedSeq`), and what `publishEvents` throws
   */
  async publishAsProducer(taskId: string, inputs: PublishEventInput[], producer: ProducerStamp): Promise<ProducerAppend> {
    const stamp = validateProducerStamp(producer)
    const drafts = this.draftsOf(taskId, inputs)
    const outcome = await this.appending(taskId, () => this.shortTerm.appendProducerEvents(taskId, drafts, stamp))
    if (!outcome.retry) await this.announce(taskId, outcome.events)
    return outcome
  }

  private draftsOf(taskId: string, inputs: PublishEventInput[]): EventDraft[] {
    if (!Array.isArray(inputs)) throw new TaskcastError('VALIDATION_ERROR', 'events must be an array')
    // An empty batch is refused rather than answered `[]`: that answer would hide a missing or
    // finished task, and a producer sending nothing has a bug worth hearing about.
    if (inputs.length === 0) throw new TaskcastError('VALIDATION_ERROR', 'a batch needs at least one event')
    const now = this.clock.now()
    return inputs.map((input, i) => this.toDraft(taskId, validatePublishEventInput(input, inputs.length === 1 ? 'event' : `events[${i}]`), now))
  }

  /** Runs an append, answering for an archived task that it is over rather than "not found". */
  private async appending<T>(taskId: string, append: () => Promise<T>): Promise<T> {
    try {
      return await append()
    } catch (error) {
      if (TaskcastError.isInstance(error) && error.code === 'TASK_NOT_FOUND' && (await this.longTerm?.getTask(taskId))) {
        throw new TaskcastError('TASK_NOT_RUNNING', `task ${taskId} is no longer running`)
      }
      throw error
    }
  }

  async getEvents(taskId: string, options: GetEventsOptions = {}): Promise<TaskEvent[]> {
    const filter = options.filter ?? {}
    const { task, events, offset } = await this.logFor(taskId, undefined, filter, options.seriesFormat)
    if (!task) throw taskNotFound(taskId)
    const stream = new FilteredStream(filter, { seriesFormat: options.seriesFormat })
    const { items } = readLog(stream, events, { since: filter.since, limit: options.limit, offset })
    return items.map(({ item }) => (item.data === item.event.data ? item.event : { ...item.event, data: item.data }))
  }

  /**
   * Streams a task to `handlers`: history (after `filter.since`, or with accumulate series
   * collapsed into snapshots when there is no cursor), then live events, each exactly once
   * and in index order. Returns a function that ends the subscription.
   */
  subscribe(
    taskId: string,
    filter: SubscribeFilter,
    handlers: SubscriptionHandlers | SubscriptionHandlers['onEnvelope'],
    options: SubscriptionOptions = {},
  ): () => void {
    const resolved = typeof handlers === 'function' ? { onEnvelope: handlers } : handlers
    return this.openSubscription(taskId, filter, resolved, options)
  }

  /** Starts a subscription (from a prepared replay, or reading the log itself) and registers it. */
  private openSubscription(
    taskId: string,
    filter: SubscribeFilter,
    handlers: SubscriptionHandlers,
    options: SubscriptionOptions,
    replay?: PreparedReplay,
  ): () => void {
    const subscription = new Subscription(this.subscriptionSource, taskId, filter, handlers, options, this.forgetSubscription, replay)
    if (!subscription.closed) this.subscriptions.add(subscription)
    return () => subscription.close()
  }

  /**
   * Reads the task's log for one reader and checks its cursor, before any stream starts (so a
   * server can still answer an unknown `since.id` with 400), and returns what `start` streams:
   * the replay as prepared, then live events. `task`, when the caller already read it, spares
   * a read. The log is read before the broadcast subscription; what was published in between
   * is read from the store before anything live is delivered.
   * @throws TaskcastError `TASK_NOT_FOUND`, `VALIDATION_ERROR`
   */
  async prepareSubscription(
    taskId: string,
    filter: SubscribeFilter,
    options: SubscriptionOptions & { task?: Task } = {},
  ): Promise<PreparedSubscription> {
    const { task: known, ...subscriptionOptions } = options
    const { task, events, offset } = await this.logFor(taskId, known, filter, options.seriesFormat)
    if (!task) throw taskNotFound(taskId)
    const replay = new PreparedReplay(task, events, filter, subscriptionOptions, offset)
    let started = false
    return {
      task,
      replayEmpty: replay.empty,
      start: (handlers) => {
        if (started) throw new TaskcastError('INTERNAL', 'a prepared subscription starts once')
        started = true
        return this.openSubscription(taskId, filter, handlers, subscriptionOptions, replay)
      },
    }
  }

  /** The short-term store the engine works on: log consumers outside the engine (webhook delivery) read it too. */
  get shortTermStore(): ShortTermStore {
    return this.shortTerm
  }

  /** Live subscriptions held by this engine. */
  get subscriptionCount(): number {
    return this.subscriptions.size
  }

  async deleteTask(taskId: string): Promise<boolean> {
    this.ttl.cancel(taskId)
    this.cleanup.cancel(taskId)
    this.writer?.discardTask(taskId)
    this.finishedLogs.drop(taskId)
    this.taskFacts.forget(taskId)
    const [short, long] = await Promise.all([this.shortTerm.deleteTask(taskId), this.longTerm?.deleteTask(taskId)])
    await this.writer?.taskDeleted(taskId)
    this.subscriptions.endTask(taskId, 'deleted')
    await this.announceDeletion(taskId)
    return short || long === true
  }

  /**
   * Tells the subscribers on other processes. A lost message delays their end only until the
   * next event or the next subscription check, which find the task gone too.
   */
  private async announceDeletion(taskId: string): Promise<void> {
    const now = this.clock.now()
    const tombstone: TaskEvent = { id: this.nextId(now), taskId, index: -1, timestamp: now, type: TASK_DELETED_TYPE, level: 'info', data: null }
    try {
      await this.broadcast.publish(taskId, tombstone)
    } catch (error) {
      this.hooks.reportError(error, { source: 'delete', taskId })
    }
  }

  /** `assigned → pending` by the worker machinery; a lost compare-and-set means someone moved it first. */
  private async giveBack(task: Task, reason: string): Promise<boolean> {
    try {
      await this.applyTransition(task, 'pending', { reason }, 'worker')
      return true
    } catch (error) {
      if (TaskcastError.isInstance(error) && (error.code === 'CONFLICT' || error.code === 'TASK_NOT_FOUND')) return false
      throw error
    }
  }

  /**
   * Tells the watchers of every task, on every process. Not awaited: a creation does not wait
   * on it, and the status event of the task's first move, published later on the same
   * connection, cannot overtake it.
   */
  private announceCreation(task: Task): void {
    const data: TaskCreatedData = { status: 'pending', createdAt: task.createdAt }
    if (task.type !== undefined) data.type = task.type
    if (task.assign !== undefined) data.assignable = true
    if (task.authConfig !== undefined) data.authConfig = task.authConfig
    const notice: TaskEvent = { id: this.nextId(task.createdAt), taskId: task.id, index: -1, timestamp: task.createdAt, type: TASK_CREATED_TYPE, level: 'info', data }
    this.broadcast.publish(task.id, notice).catch((error: unknown) => this.hooks.reportError(error, { source: 'create', taskId: task.id }))
  }

  /** The task as the stores hold it now; one read at a time per task, shared by its callers. */
  private currentTask(taskId: string): Promise<Task | null> {
    return this.taskReads.get(taskId, () => this.getTask(taskId))
  }

  /** Whether each store answers. */
  health(): Promise<EngineHealth> {
    return storeHealth(this.shortTerm, this.longTerm)
  }

  /** Ends TTL and cleanup timers and flushes pending long-term writes. Stores stay open. */
  async stop(options: { flushTimeoutMs?: number } = {}): Promise<void> {
    this.deadlinePoller?.stop()
    this.leases.stop()
    this.ttl.stop()
    this.cleanup.stop()
    this.subscriptions.stop()
    await this.writer?.stop(options.flushTimeoutMs)
  }

  private toDraft(taskId: string, input: PublishEventInput, now: number): EventDraft {
    const draft: EventDraft = {
      id: this.nextId(now),
      taskId,
      timestamp: now,
      type: input.type,
      level: input.level ?? 'info',
      data: input.data === undefined ? null : input.data,
    }
    if (input.seriesId !== undefined) {
      draft.seriesId = input.seriesId
      draft.seriesMode = input.seriesMode ?? 'keep-all'
      if (draft.seriesMode === 'accumulate') draft.seriesAccField = resolveAccField(draft.data, input.seriesAccField)
    }
    return draft
  }

  private async applyTransition(task: Task, to: TaskStatus, change: TransitionChange, by: TransitionCause): Promise<Task> {
    const from = task.status
    if (!canTransition(from, to, { by })) throw invalidTransition(from, to)
    const now = this.clock.now()
    const terminal = isTerminalStatus(to)
    // The status event names the worker of an assignment; a worker's later moves are its own.
    const { assignedTo: _assignee, workerId, ...said } = change
    const data: StatusEventData = { status: to, previousStatus: from, ...said }
    if (to === 'assigned' && workerId !== undefined) data.workerId = workerId
    // `reason` lives in the status event only; the question lives on the task while it is blocked.
    const patch: TransitionRequest['patch'] = { status: to, updatedAt: now }
    if (terminal) patch.completedAt = now
    if (change.result !== undefined) patch.result = change.result
    if (change.error !== undefined) patch.error = change.error
    if (change.request !== undefined) patch.blockedRequest = change.request
    else if (from === 'blocked') patch.blockedRequest = undefined
    if ('resolution' in change) patch.resolution = change.resolution
    // The worker holding the task: named on assignment, kept while it runs, gone when given back.
    if (change.assignedTo !== undefined) patch.assignedTo = change.assignedTo
    else if (from === 'assigned' && to === 'pending') patch.assignedTo = undefined
    const outcome = await this.shortTerm.transitionTask(task.id, {
      from,
      // The assignment read, not only its status: the task may have been given back and taken again since.
      ...(from === 'assigned' && task.assignedTo !== undefined && { fromAssignedAt: task.assignedTo.at }),
      patch,
      event: { id: this.nextId(now), taskId: task.id, timestamp: now, type: STATUS_EVENT_TYPE, level: 'info', data },
    })
    if (!outcome) throw new TaskcastError('CONFLICT', `task ${task.id} changed status concurrently; it is no longer ${from}`)
    const updated = outcome.task
    this.writer?.saveTask(updated)
    await this.announce(task.id, [outcome.event])
    if (terminal) {
      this.ttl.cancel(task.id)
      this.cleanup.taskEnded(updated)
    }
    this.hooks.emit('onTaskTransition', updated, from, to)
    if (to === 'failed') this.hooks.emit('onTaskFailed', updated, updated.error ?? { message: 'task failed' })
    if (to === 'timeout') this.hooks.emit('onTaskTimeout', updated)
    return updated
  }

  /** After a store write: broadcast, queue for the archive, run hooks. Never fails the write. */
  private async announce(taskId: string, events: TaskEvent[]): Promise<void> {
    try {
      if (events.length === 1) await this.broadcast.publish(taskId, events[0]!)
      else if (this.broadcast.publishEvents) await this.broadcast.publishEvents(taskId, events)
      else await Promise.all(events.map((event) => this.broadcast.publish(taskId, event)))
    } catch (error) {
      // The events are stored: subscribers recover them from the store with the next event.
      this.hooks.reportError(error, { source: 'broadcast', taskId })
    }
    this.writer?.saveEvents(events)
    if (this.hooks.has('onEventPublished')) for (const event of events) this.hooks.emit('onEventPublished', event)
  }

  /**
   * The whole log of a task known to exist, from whichever store has it (the live one, or the
   * archived one once the live one is gone). Readers whose reads overlap share one (a
   * subscription started during another's read misses nothing: it fills any gap from the store
   * before it goes live).
   */
  private async eventsOf(task: Task): Promise<TaskEvent[]> {
    const held = this.finishedLogs.get(task)
    if (held) return held
    const events = await this.eventReads.get(task.id, async () => {
      const events = await this.shortTerm.getEvents(task.id)
      if (events.length > 0 || !this.longTerm) return events
      return this.longTerm.getEvents(task.id)
    })
    this.finishedLogs.offer(task, events)
    return events
  }

  /**
   * The task (`known`, when the caller read it) and the part of its log a reader with `filter`
   * needs. From the reader's cursor only where the store reads from a position and the
   * reader's filteredIndex is a position (a filter that selects every event, no running series
   * values): a resume near the end of a long log reads that end. Else the whole log, as
   * `eventsOf` and `loadLog` read it (shared, finished logs kept). `offset`: the position of
   * `events[0]` in the log.
   */
  private async logFor(
    taskId: string,
    known: Task | undefined,
    filter: SubscribeFilter,
    seriesFormat: SeriesFormat | undefined,
  ): Promise<{ task: Task | null; events: TaskEvent[]; offset: number }> {
    const { since } = filter
    const start =
      since?.id !== undefined
        ? { eventId: since.id }
        : since?.index !== undefined && Number.isInteger(since.index) && since.index >= 0
          ? { position: since.index }
          : undefined
    const tailRead = this.shortTerm.getEventsFrom?.bind(this.shortTerm)
    if (start && tailRead && seriesFormat !== 'accumulated' && selectsEveryEvent(filter) && !(known && this.finishedLogs.get(known))) {
      const [task, tail] = await Promise.all([known ?? this.shortTerm.getTask(taskId), tailRead(taskId, start)])
      // The cursor's own event comes first: the reader passes it, which says where it is.
      const first = tail?.events[0]
      if (task && first && (since!.id === undefined || first.id === since!.id)) return { task, events: tail.events, offset: tail.position }
    }
    const { task, events } = known ? { task: known, events: await this.eventsOf(known) } : await this.loadLog(taskId)
    return { task, events, offset: 0 }
  }

  /** The task and its whole log, from whichever store has it; overlapping reads shared as in `eventsOf`. */
  private async loadLog(taskId: string): Promise<{ task: Task | null; events: TaskEvent[] }> {
    const log = await this.logReads.get(taskId, async () => {
      const [task, events] = await Promise.all([this.shortTerm.getTask(taskId), this.shortTerm.getEvents(taskId)])
      if (task || !this.longTerm) return { task, events }
      const [archived, archivedEvents] = await Promise.all([this.longTerm.getTask(taskId), this.longTerm.getEvents(taskId)])
      return { task: archived, events: archivedEvents }
    })
    if (log.task) this.finishedLogs.offer(log.task, log.events)
    return log
  }

  private async expireAndForget(taskId: string): Promise<void> {
    if (!(await this.expireTask(taskId))) return
    try {
      await this.shortTerm.clearDeadline?.(taskId)
    } catch (error) {
      this.hooks.reportError(error, { source: 'ttl', taskId })
    }
  }

  /**
   * TTL deadline: time the task out unless it already ended; retried if it changed meanwhile.
   * Resolves whether the deadline is dealt with (the task ended or is gone).
   */
  private async expireTask(taskId: string): Promise<boolean> {
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const task = await this.shortTerm.getTask(taskId)
        if (!task || isTerminalStatus(task.status)) return true
        const error = { code: 'TTL_EXPIRED', message: `task exceeded its ttl of ${task.ttl}s` }
        try {
          await this.applyTransition(task, 'timeout', { error }, 'ttl')
          return true
        } catch (e) {
          if (!(TaskcastError.isInstance(e) && e.code === 'CONFLICT')) throw e
        }
      }
    } catch (error) {
      this.hooks.reportError(error, { source: 'ttl', taskId })
    }
    return false
  }
}

/** What a transition carries: the caller's payload, and the answer of a resolution. */
type TransitionChange = TransitionPayload & { resolution?: unknown; workerId?: string; assignedTo?: TaskAssignee }

function invalidTransition(from: TaskStatus, to: TaskStatus): TaskcastError {
  return new TaskcastError('INVALID_TRANSITION', `cannot move a task from ${from} to ${to}`)
}
