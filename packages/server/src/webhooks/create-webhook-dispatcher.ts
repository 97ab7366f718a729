// Delivers task events to webhooks (SPEC §10): global endpoints and each task's own webhooks.
//
// Delivery is a reader of the task's log, not a side effect of publishing. Each (task, webhook)
// pair has a record in the short-term store (a cursor and a lease, see DeliveryLeaseStore):
// whichever process holds the lease reads the log after the cursor and delivers in index
// order, with filteredIndex counted over the whole log. Publishing only pokes: the publishing
// process tries the lease (another holder will see the new events before it lets go). A sweep
// of the store's index of deliveries takes over the pairs whose owner died, and the ones whose
// publisher died before it could poke.
import { randomUUID } from 'node:crypto'
import type {
  Clock,
  DeliveryLeaseStore,
  DeliveryRef,
  ShortTermStore,
  SSEEnvelope,
  Task,
  TaskcastError,
  TaskcastHooks,
  TaskEngine,
  TaskEvent,
  WebhookConfig,
} from '@taskcast/core'
import { compileFilter, isTerminalStatus } from '@taskcast/core'
import { systemClock, terminalStatusOf } from '@taskcast/core/internal'
import { DeliveryWorker, type WorkerContext, type WorkerEnd } from './delivery-worker.js'
import { createLocalDeliveryLeases } from './local-delivery-leases.js'
import { resolveRetry } from './retry-policy.js'
import { sendDelivery, type DeliveryTarget } from './send-delivery.js'
import { globalWebhookKeys, isPerTaskWebhookKey, perTaskWebhookKey } from './webhook-keys.js'
import type { WebhookOptions } from './webhook-types.js'

export interface WebhookDispatcherOptions {
  engine: TaskEngine
  options?: WebhookOptions
  /** Time source for leases, retry waits and the timestamp header. @defaultValue systemClock */
  clock?: Clock
  /**
   * The short-term store whose log is delivered and whose `deliveries` hold the leases and
   * cursors. @defaultValue the engine's short-term store
   */
  store?: ShortTermStore
  /** Told of every delivery outcome (the server's metrics count them). Called synchronously: keep it cheap. */
  onOutcome?(outcome: WebhookOutcome): void
}

/**
 * Outcomes of deliveries: `delivered` (a 2xx answer), `retried` (an attempt failed and another
 * follows), `failed` (every attempt failed, reported through `onWebhookFailed`).
 */
export const WEBHOOK_OUTCOMES = ['delivered', 'retried', 'failed'] as const
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number]

export interface WebhookDispatcher {
  /** Add to the engine: `engine.addHooks(dispatcher.hooks)`. */
  hooks: TaskcastHooks
  /** Resolves once this process has nothing to deliver and nothing in flight. */
  idle(): Promise<void>
  /**
   * Stops retry timers and aborts requests in flight; the leases this process holds are let go,
   * so that another process (or the next start) goes on from the stored cursors.
   */
  close(): Promise<void>
}

/** @defaultValue of {@link WebhookOptions.leaseMs} */
export const DEFAULT_DELIVERY_LEASE_MS = 10_000
/** @defaultValue of {@link WebhookOptions.sweepMs} */
export const DEFAULT_DELIVERY_SWEEP_MS = 1000
/** @defaultValue of {@link WebhookOptions.recheckMs} */
export const DEFAULT_DELIVERY_RECHECK_MS = 60_000
/** Tasks whose webhook lists are remembered; past it the longest-unused task without work in flight is forgotten. */
const MAX_TRACKED_TASKS = 10_000
/** Deliveries claimed from the index per sweep. */
const SWEEP_BATCH = 100

interface Target extends DeliveryTarget {
  /** Whether the webhook's filter selects an event (a poke for an event it does not want can wait). */
  wants(event: TaskEvent): boolean
}

interface TaskState {
  taskId: string
  /** `createdAt` of the task the targets belong to; undefined until read. */
  createdAt: number | undefined
  /** Undefined while the task is being read; empty for a task without webhooks. */
  targets: Target[] | undefined
  /** No such task (when it was read). */
  missing: boolean
  /** Pokes wait here while the task is read. */
  pending: boolean
  ended: boolean
  /** A cleanup rule may delete the task once it ends (`engine.mayCleanUp`), so its final log is read then. */
  cleanedUp: boolean
  /**
   * The log as read the moment this process saw the task end (a terminal event it published),
   * before any cleanup rule could delete the task or its events: the workers here deliver the rest
   * from it, even once the task has vanished. Dropped with the state, once they are done.
   */
  finalLog?: Promise<TaskEvent[]>
}

/**
 * Creates the webhook dispatcher of a server.
 * @example
 * ```ts
 * const dispatcher = createWebhookDispatcher({ engine, options: { endpoints: [{ url, secret }] } })
 * engine.addHooks(dispatcher.hooks)
 * // on shutdown
 * await Promise.race([dispatcher.idle(), delay(5000)])
 * await dispatcher.close()
 * ```
 */
export function createWebhookDispatcher({
  engine,
  options = {},
  clock = systemClock,
  store = engine.shortTermStore,
  onOutcome,
}: WebhookDispatcherOptions): WebhookDispatcher {
  // Undefined: node:http/https, connected to the addresses the SSRF check passed.
  const fetchFn = options.fetch
  const leaseMs = options.leaseMs ?? DEFAULT_DELIVERY_LEASE_MS
  const sweepMs = options.sweepMs ?? DEFAULT_DELIVERY_SWEEP_MS
  const recheckMs = options.recheckMs ?? DEFAULT_DELIVERY_RECHECK_MS
  const leases: DeliveryLeaseStore = store.deliveries ?? createLocalDeliveryLeases(store, clock)
  const endpoints = options.endpoints ?? []
  const globalKeys = globalWebhookKeys(endpoints)
  const globals = endpoints.map((config, i) => target(config, globalKeys[i]!, false))
  const tasks = new Map<string, TaskState>()
  const workers = new Map<string, DeliveryWorker>()
  const closing = new AbortController()
  const background = new Set<Promise<unknown>>()
  let idleWaiters: (() => void)[] = []
  /** Workers running plus task reads and sweeps under way. */
  let busy = 0
  /** Sweep errors are reported once until a sweep succeeds again (a store outage is not news every second). */
  let sweepFailing = false

  function target(config: WebhookConfig, key: string, perTask: boolean): Target {
    const matches = compileFilter(config.filter ?? {})
    return {
      key,
      config,
      perTask,
      retry: resolveRetry(config.retry, options.defaultRetry, perTask),
      // A terminal status always pokes: it is what lets a finished delivery be marked done.
      wants: (event) => matches(event) || terminalStatusOf(event) !== undefined,
    }
  }

  const settle = (delta: number) => {
    busy += delta
    if (busy > 0 && !closing.signal.aborted) return
    const waiters = idleWaiters
    idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  /** Keeps track of background work so that `close()` can wait for it to unwind. */
  const spawn = (work: Promise<unknown>) => {
    const tracked = work.catch((error: unknown) => engine.reportError(error, { source: 'webhook' })).finally(() => background.delete(tracked))
    background.add(tracked)
  }

  const report = (error: unknown, taskId?: string) => engine.reportError(error, { source: 'webhook', ...(taskId && { taskId }) })

  const targetsOf = (task: Task): Target[] => [
    ...globals,
    ...(task.webhooks ?? []).map((config, i) => target(config, perTaskWebhookKey(i), true)),
  ]

  const remember = (state: TaskState) => {
    tasks.delete(state.taskId)
    tasks.set(state.taskId, state)
    if (tasks.size <= MAX_TRACKED_TASKS) return
    for (const candidate of tasks.values()) {
      if (candidate !== state && !candidate.pending && !hasWorkers(candidate)) {
        tasks.delete(candidate.taskId)
        return
      }
    }
  }

  const hasWorkers = (state: TaskState) => state.targets?.some((t) => workers.has(workerId(state.taskId, t.key))) ?? false
  const workerId = (taskId: string, key: string) => `${taskId}|${key}`

  const forgetIfEnded = (state: TaskState) => {
    if (state.ended && !hasWorkers(state) && tasks.get(state.taskId) === state) tasks.delete(state.taskId)
  }

  /** The task's state, read from the engine when unknown; `then` runs once its targets are known. */
  const withState = (taskId: string, then: (state: TaskState) => void) => {
    const known = tasks.get(taskId)
    if (known && !known.pending && !known.missing) {
      remember(known)
      return then(known)
    }
    const state: TaskState = known ?? { taskId, createdAt: undefined, targets: undefined, missing: false, pending: true, ended: false, cleanedUp: false }
    const waiting = pendingThens.get(state) ?? []
    waiting.push(then)
    if (pendingThens.has(state)) return
    pendingThens.set(state, waiting)
    state.pending = true
    remember(state)
    settle(+1)
    spawn(
      (async () => {
        try {
          const task = await engine.getTask(taskId)
          if (closing.signal.aborted) return
          state.createdAt = task?.createdAt
          state.targets = task ? targetsOf(task) : []
          state.missing = !task
          state.ended = task ? isTerminalStatus(task.status) : true
          state.cleanedUp = task ? engine.mayCleanUp(task) : false
          state.pending = false
          for (const run of pendingThens.get(state) ?? []) run(state)
        } catch (error) {
          // The task's webhooks are unknown for now: the next event, or the sweep, tries again.
          if (tasks.get(taskId) === state) tasks.delete(taskId)
          report(error, taskId)
        } finally {
          pendingThens.delete(state)
          settle(-1)
        }
      })(),
    )
  }
  const pendingThens = new Map<TaskState, ((state: TaskState) => void)[]>()

  const context: WorkerContext = {
    leases,
    readEvents: (taskId, range) => store.getEvents(taskId, range),
    // The pid makes a holder recognisable when inspecting the store; the UUID makes it unique.
    owner: `${globalThis.process?.pid ?? 0}:${randomUUID()}`,
    leaseMs,
    clock,
    closing: closing.signal,
    send: async (t, event, payload, signal) => {
      const onRetry = onOutcome && (() => onOutcome('retried'))
      const outcome = await sendDelivery(t, event, payload, { options, fetch: fetchFn, clock, signal, onRetry })
      if (outcome.status !== 'stopped') onOutcome?.(outcome.status)
      return outcome
    },
    failed: (t, error: TaskcastError, payload: TaskEvent | SSEEnvelope) => engine.emitHook('onWebhookFailed', t.config, error, payload),
    reportError: report,
    reschedule: (ref, at) => spawn(leases.schedule(ref, at)),
    finalLog: (taskId) => tasks.get(taskId)?.finalLog,
  }

  /** Makes sure this process looks at the pair: starts its worker, or tells the running one to look again. */
  const poke = (state: TaskState, t: Target, swept = false) => {
    if (closing.signal.aborted || state.createdAt === undefined) return
    const id = workerId(state.taskId, t.key)
    const running = workers.get(id)
    if (running) {
      running.swept ||= swept
      return running.poke()
    }
    const worker: DeliveryWorker = new DeliveryWorker(context, state.taskId, t, state.createdAt, (end) => {
      workers.delete(id)
      ended(state, t, end, worker)
      settle(-1)
    })
    worker.swept = swept
    workers.set(id, worker)
    settle(+1)
    spawn(worker.run())
  }

  const ended = (state: TaskState, t: Target, end: WorkerEnd, worker: DeliveryWorker) => {
    const ref: DeliveryRef = { taskId: state.taskId, key: t.key }
    switch (end) {
      case 'held':
        // A sweep found the owner alive (or its lease not expired yet): look again when it would expire.
        if (worker.swept && worker.heldForMs !== undefined) spawn(leases.schedule(ref, clock.now() + worker.heldForMs + 1))
        break
      case 'done':
      case 'gone':
        if (end === 'gone') state.ended = true
        spawn(leases.untrack(ref))
        break
      case 'idle':
      case 'released':
        // Looked at again later, for an event whose publisher dies before it pokes.
        spawn(leases.schedule(ref, clock.now() + recheckMs))
        break
      case 'stale':
        // The lease belongs to a task created again under this id: read its webhooks afresh.
        if (tasks.get(state.taskId) === state) tasks.delete(state.taskId)
        withState(state.taskId, (fresh) => fresh.targets?.forEach((other) => poke(fresh, other)))
        return
      default:
        break
    }
    forgetIfEnded(state)
  }

  /** Takes over the deliveries of the index that are due: a dead owner's, or a dead publisher's. */
  let sweeping = false
  const sweep = async () => {
    if (sweeping || closing.signal.aborted) return
    sweeping = true
    settle(+1)
    try {
      const now = clock.now()
      const due = await leases.claimDue(now, now + leaseMs, SWEEP_BATCH)
      sweepFailing = false
      for (const ref of due) {
        withState(ref.taskId, (state) => {
          const t = state.targets?.find((candidate) => candidate.key === ref.key)
          if (t) return poke(state, t, true)
          // No such task, or a webhook it does not have: nothing will ever be delivered there.
          // A global this process does not know may be another process's: left to it while the task lives.
          if (state.missing || state.ended || isPerTaskWebhookKey(ref.key)) spawn(leases.untrack(ref))
          else spawn(leases.schedule(ref, clock.now() + recheckMs))
        })
      }
    } catch (error) {
      if (!sweepFailing) report(error)
      sweepFailing = true
    } finally {
      sweeping = false
      settle(-1)
      scheduleSweep()
    }
  }
  let sweepTimer: unknown
  const scheduleSweep = () => {
    if (!closing.signal.aborted) sweepTimer = clock.setTimeout(() => void sweep(), sweepMs)
  }
  // The first sweep runs at once: a restarted process picks up what it (or another) left.
  sweepTimer = clock.setTimeout(() => void sweep(), 0)

  const hooks: TaskcastHooks = {
    onTaskCreated(task: Task) {
      // The new task's webhooks are known here, which spares a store read at its first event.
      if (closing.signal.aborted) return
      const targets = targetsOf(task)
      const state: TaskState = { taskId: task.id, createdAt: task.createdAt, targets, missing: false, pending: false, ended: false, cleanedUp: engine.mayCleanUp(task) }
      remember(state)
      // In the index from the start, so that an event whose publisher dies before it pokes is still found.
      if (targets.length > 0) {
        spawn(leases.track(targets.map((t) => ({ taskId: task.id, key: t.key })), clock.now() + recheckMs))
      }
    },
    onEventPublished(event: TaskEvent) {
      if (closing.signal.aborted) return
      const terminal = terminalStatusOf(event) !== undefined
      withState(event.taskId, (state) => {
        if (terminal) state.ended = true
        for (const t of state.targets ?? []) if (t.wants(event)) poke(state, t)
        forgetIfEnded(state)
      })
      // A cleanup rule may delete the task as soon as it ends, before the deliveries read the last
      // events. The engine schedules its cleanup only after this hook returns, so a read issued
      // now comes first (the store answers commands in order).
      const state = tasks.get(event.taskId)
      if (terminal && state && (state.targets === undefined || (state.cleanedUp && state.targets.length > 0))) {
        state.finalLog ??= store.getEvents(event.taskId)
        state.finalLog.catch(() => undefined)
      }
    },
  }

  return {
    hooks,
    idle: () =>
      busy === 0 || closing.signal.aborted ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    async close() {
      if (closing.signal.aborted) return
      closing.abort()
      clock.clearTimeout(sweepTimer)
      tasks.clear()
      while (background.size > 0) await Promise.allSettled([...background])
      settle(0)
    },
  }
}
