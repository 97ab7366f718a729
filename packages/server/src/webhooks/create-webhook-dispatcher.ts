// Delivers published events to webhooks (SPEC §10): global endpoints and each task's own webhooks.
// One ordered queue per (webhook, task); queues run in parallel; publishing never waits.
import {
  TaskcastError,
  type Clock,
  type SSEEnvelope,
  type Task,
  type TaskcastHooks,
  type TaskEngine,
  type TaskEvent,
  type WebhookConfig,
} from '@taskcast/core'
import { FilteredStream, systemClock, terminalStatusOf, toEnvelope } from '@taskcast/core/internal'
import { assertWebhookUrlAllowed } from './assert-webhook-url-allowed.js'
import { resolveRetry, retryDelay, type ResolvedRetry } from './retry-policy.js'
import { sendAttempt, type AttemptFailure } from './send-attempt.js'
import { SIGNATURE_HEADER, signBody } from './sign-body.js'
import type { WebhookOptions } from './webhook-types.js'

export interface WebhookDispatcherOptions {
  engine: TaskEngine
  options?: WebhookOptions
  /** Time source for retry waits and the timestamp header. @defaultValue systemClock */
  clock?: Clock
}

export interface WebhookDispatcher {
  /** Add to the engine: `engine.addHooks(dispatcher.hooks)`. */
  hooks: TaskcastHooks
  /** Resolves once every queue is empty and nothing is in flight. */
  idle(): Promise<void>
  /** Stops retry timers, aborts requests in flight and drops waiting deliveries. */
  close(): Promise<void>
}

export const DEFAULT_MAX_PENDING_PER_QUEUE = 10_000
/** Tasks whose webhook lists are remembered; past it the longest-idle task is forgotten. */
const MAX_TRACKED_TASKS = 10_000

/** One webhook as seen by one task: its own filter position and delivery queue. */
interface Target {
  config: WebhookConfig
  perTask: boolean
  retry: ResolvedRetry
  stream: FilteredStream
  /** Matching events waiting, in index order. */
  queue: TaskEvent[]
  running: boolean
  /** Set while the queue is over its cap, so the overflow is reported once per episode. */
  overflowing: boolean
}

interface TaskState {
  taskId: string
  targets: Target[]
  /** 'pending' while the task's own webhooks are being read; events wait in `backlog` for them. */
  lookup: 'pending' | 'done' | 'failed'
  backlog: TaskEvent[]
  /** A terminal status went by: once drained, the state can be forgotten. */
  ended: boolean
}

const encoder = new TextEncoder()

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
}: WebhookDispatcherOptions): WebhookDispatcher {
  const fetchFn = options.fetch ?? globalThis.fetch
  const maxPending = options.maxPendingPerQueue ?? DEFAULT_MAX_PENDING_PER_QUEUE
  const globals = options.endpoints ?? []
  const tasks = new Map<string, TaskState>()
  const closing = new AbortController()
  const sleeps = new Set<{ handle: unknown; resolve: () => void }>()
  const loops = new Set<Promise<void>>()
  let idleWaiters: (() => void)[] = []
  /** Lookups in progress plus events queued or in flight. */
  let busy = 0

  const settle = (delta: number) => {
    busy += delta
    if (busy > 0 && !closing.signal.aborted) return
    const waiters = idleWaiters
    idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  const target = (config: WebhookConfig, perTask: boolean): Target => ({
    config,
    perTask,
    retry: resolveRetry(config.retry, options.defaultRetry, perTask),
    stream: new FilteredStream(config.filter),
    queue: [],
    running: false,
    overflowing: false,
  })

  const track = (state: TaskState) => {
    tasks.set(state.taskId, state)
    if (tasks.size <= MAX_TRACKED_TASKS) return
    for (const candidate of tasks.values()) {
      if (candidate !== state && isDrained(candidate)) {
        tasks.delete(candidate.taskId)
        return
      }
    }
  }

  const isDrained = (state: TaskState) =>
    state.lookup !== 'pending' && state.targets.every((t) => !t.running && t.queue.length === 0)

  const forgetIfEnded = (state: TaskState) => {
    if (state.ended && isDrained(state) && tasks.get(state.taskId) === state) tasks.delete(state.taskId)
  }

  const stateFor = (taskId: string): TaskState => {
    let state = tasks.get(taskId)
    if (state && state.lookup !== 'failed') return state
    if (!state) {
      const targets = globals.map((config) => target(config, false))
      state = { taskId, targets, lookup: 'pending', backlog: [], ended: false }
      track(state)
    }
    state.lookup = 'pending'
    run(lookUp(state))
    return state
  }

  const lookUp = async (state: TaskState) => {
    settle(+1)
    try {
      const task = await engine.getTask(state.taskId)
      if (closing.signal.aborted) return
      state.lookup = 'done'
      const own = (task?.webhooks ?? []).map((config) => target(config, true))
      state.targets.push(...own)
      for (const event of state.backlog) for (const t of own) offer(t, event)
    } catch (error) {
      // The task's own webhooks are unknown: these events cannot reach them. The next event retries.
      state.lookup = 'failed'
      engine.reportError(error, { source: 'webhook', taskId: state.taskId })
    } finally {
      state.backlog = []
      forgetIfEnded(state)
      settle(-1)
    }
  }

  const offer = (t: Target, event: TaskEvent) => {
    if (!t.stream.matches(event)) return
    // Events normally arrive in index order; a late one is slotted back among the waiting ones.
    let at = t.queue.length
    while (at > 0 && t.queue[at - 1]!.index > event.index) at--
    t.queue.splice(at, 0, event)
    settle(+1)
    if (t.queue.length > maxPending) {
      t.queue.shift()
      settle(-1)
      if (!t.overflowing) {
        t.overflowing = true
        engine.reportError(
          new TaskcastError('INTERNAL', `webhook queue over ${maxPending} pending deliveries; dropping the oldest`),
          { source: 'webhook', taskId: event.taskId },
        )
      }
    }
    if (!t.running) {
      t.running = true
      run(drain(t, event.taskId))
    }
  }

  /** Keeps track of background work so `close()` can wait for it to unwind. */
  const run = (work: Promise<void>) => {
    const tracked = work.finally(() => loops.delete(tracked))
    loops.add(tracked)
  }

  const drain = async (t: Target, taskId: string) => {
    try {
      for (let event = t.queue.shift(); event; event = t.queue.shift()) {
        try {
          const item = t.stream.accept(event)
          if (item && !closing.signal.aborted) {
            await deliver(t, event, t.config.wrap === false ? item.data : toEnvelope(item))
          }
        } catch (error) {
          engine.reportError(error, { source: 'webhook', taskId })
        } finally {
          settle(-1)
        }
      }
      t.overflowing = false
    } finally {
      t.running = false
      const state = tasks.get(taskId)
      if (state) forgetIfEnded(state)
    }
  }

  const deliver = async (t: Target, event: TaskEvent, payload: unknown) => {
    // Serialised and signed once: every attempt sends the same bytes.
    const body = encoder.encode(JSON.stringify(payload))
    const fixedHeaders: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'taskcast-webhook',
      'X-Taskcast-Event': event.type,
      'X-Taskcast-Delivery': event.id,
    }
    if (t.config.secret !== undefined) fixedHeaders[SIGNATURE_HEADER] = signBody(body, t.config.secret)
    const attempts = t.retry.retries + 1
    let failure: AttemptFailure | undefined
    let attempt = 0
    while (attempt < attempts) {
      attempt++
      if (t.perTask) {
        // Checked again at send time: DNS may have changed since the task was created.
        try {
          await assertWebhookUrlAllowed(t.config.url, options)
        } catch (cause) {
          failure = { reason: 'refused', cause }
          break
        }
      }
      const headers = { ...fixedHeaders, 'X-Taskcast-Timestamp': String(Math.floor(clock.now() / 1000)) }
      failure = await sendAttempt({
        url: t.config.url,
        headers,
        body,
        timeoutMs: t.retry.timeoutMs,
        signal: closing.signal,
        fetch: fetchFn,
      })
      if (!failure || closing.signal.aborted) return
      if (attempt < attempts) await sleep(retryDelay(t.retry, attempt))
      if (closing.signal.aborted) return
    }
    engine.emitHook('onWebhookFailed', t.config, deliveryError(failure!, attempt), payloadForHook(t, event, payload))
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        handle: clock.setTimeout(() => {
          sleeps.delete(entry)
          resolve()
        }, ms),
        resolve,
      }
      sleeps.add(entry)
    })

  const hooks: TaskcastHooks = {
    onTaskCreated(task: Task) {
      // The new task's webhooks are known here, which spares a store read at its first event.
      if (closing.signal.aborted) return
      const targets = [
        ...globals.map((config) => target(config, false)),
        ...(task.webhooks ?? []).map((config) => target(config, true)),
      ]
      track({ taskId: task.id, targets, lookup: 'done', backlog: [], ended: false })
    },
    onEventPublished(event: TaskEvent) {
      if (closing.signal.aborted) return
      const state = stateFor(event.taskId)
      for (const t of state.targets) offer(t, event)
      if (state.lookup === 'pending') state.backlog.push(event)
      if (terminalStatusOf(event)) {
        state.ended = true
        forgetIfEnded(state)
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
      for (const entry of sleeps) {
        clock.clearTimeout(entry.handle)
        entry.resolve()
      }
      sleeps.clear()
      for (const state of tasks.values()) {
        for (const t of state.targets) {
          settle(-t.queue.length)
          t.queue = []
        }
      }
      tasks.clear()
      await Promise.allSettled([...loops])
      settle(0)
    },
  }
}

function payloadForHook(t: Target, event: TaskEvent, payload: unknown): TaskEvent | SSEEnvelope {
  return t.config.wrap === false ? event : (payload as SSEEnvelope)
}

function deliveryError(failure: AttemptFailure, attempts: number): TaskcastError {
  const what =
    failure.reason === 'status'
      ? `HTTP ${failure.status}`
      : failure.reason === 'redirect'
        ? `redirect (HTTP ${failure.status}), which is not followed`
        : failure.reason === 'timeout'
          ? 'timed out'
          : failure.reason === 'refused'
            ? 'the URL no longer passes the private-network check'
            : 'network error'
  return new TaskcastError('INTERNAL', `webhook delivery failed after ${attempts} attempt(s): ${what}`, {
    cause: failure.cause,
    details: { attempts, reason: failure.reason, ...(failure.status !== undefined && { status: failure.status }) },
  })
}
