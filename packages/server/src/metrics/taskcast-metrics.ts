// The Prometheus metric families of one app (SPEC §21), in one registry: what the engine's hooks
// tell (tasks, transitions, events, store errors), what the routes time (publishing), what the
// webhook dispatcher reports (outcomes), and what is read at scrape time (open SSE connections,
// SSE deliveries).
import { TaskcastError, WAITING_COUNT_LIMIT, type Task, type TaskcastHooks } from '@taskcast/core'
import { OBSERVING_HOOKS } from '@taskcast/core/internal'
import { collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client'
import type { MetricsRegistry } from '../options.js'
import type { SseRegistry } from '../sse/sse-registry.js'
import type { WebhookOutcome } from '../webhooks/create-webhook-dispatcher.js'
import { WEBHOOK_OUTCOMES } from '../webhooks/create-webhook-dispatcher.js'
import { CappedLabel } from './capped-label.js'
import type { SseDeliveryCounter } from './sse-delivery-counter.js'
import { STORE_LABELS, storeOfReportedError, type StoreLabel } from './store-errors.js'

/** Publish latencies, in seconds: an in-memory publish takes well under a millisecond, a Redis one a few. */
const PUBLISH_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
/** How long tasks wait for a worker, in seconds: from milliseconds with workers waiting to minutes without. */
const ASSIGNMENT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15, 60, 300]
/** A metric of prom-client's default set: when the registry holds it, it holds them all already. */
const DEFAULT_METRIC_PROBE = 'process_cpu_user_seconds_total'
/** One of ours: a registry that holds it belongs to another app. */
const TASKS_CREATED = 'taskcast_tasks_created_total'

export interface TaskcastMetricsOptions {
  registry: MetricsRegistry
  /** Distinct task types, and event types, that get a label value of their own. */
  maxTypeLabels: number
  /** Also collect prom-client's default process metrics (unless the registry holds them already). */
  defaultMetrics: boolean
  connections: SseRegistry
  sseDeliveries: SseDeliveryCounter
  /** Workers whose pull waits on this app now. */
  waitingWorkers: () => number
  /** WebSocket workers connected to this app now. */
  connectedWorkers: () => number
  /** Pending tasks waiting for a worker, in the store (`null`: the store keeps no task index). */
  waitingTasks: () => Promise<number | null>
}

export interface TaskcastMetrics {
  readonly registry: MetricsRegistry
  /** Engine hooks: tasks created, transitions, events published, store errors the engine reports. */
  readonly hooks: TaskcastHooks
  /** A publish request stored and broadcast its events in `seconds`. */
  observePublish(seconds: number): void
  webhookOutcome(outcome: WebhookOutcome): void
  storeError(store: StoreLabel): void
  /** A task was handed to a worker here: its wait, from creation to assignment. */
  observeAssignment(task: Task): void
}

/**
 * Registers the Taskcast metric families in `registry`.
 * @throws TaskcastError `VALIDATION_ERROR` when the registry already holds them (another app's)
 */
export function createTaskcastMetrics(options: TaskcastMetricsOptions): TaskcastMetrics {
  const { registry, connections, sseDeliveries } = options
  if (registry.getSingleMetric(TASKS_CREATED)) {
    throw new TaskcastError('VALIDATION_ERROR', 'metrics.registry already holds the Taskcast metrics of another app: give each app its own registry')
  }
  const registers = [registry]
  const taskTypes = new CappedLabel(options.maxTypeLabels)
  const eventTypes = new CappedLabel(options.maxTypeLabels)

  const created = new Counter({ name: TASKS_CREATED, help: 'Tasks created, by task type', labelNames: ['type'], registers })
  const transitions = new Counter({
    name: 'taskcast_task_transitions_total',
    help: 'Status changes of tasks, by the status moved to and the task type',
    labelNames: ['status', 'type'],
    registers,
  })
  const published = new Counter({
    name: 'taskcast_events_published_total',
    help: 'Events appended to task logs (status events included, as type taskcast:status), by event type',
    labelNames: ['type'],
    registers,
  })
  const publishDuration = new Histogram({
    name: 'taskcast_publish_duration_seconds',
    help: 'Time a publish request (one event or a batch) took to store and broadcast its events',
    buckets: PUBLISH_BUCKETS,
    registers,
  })
  new Gauge({
    name: 'taskcast_sse_connections',
    help: 'SSE streams open on this app',
    registers,
    collect() {
      this.set(connections.size)
    },
  })
  new Counter({
    name: 'taskcast_sse_deliveries_total',
    help: 'Envelopes written to SSE streams, by phase: replay (history) or live',
    labelNames: ['phase'],
    registers,
    collect() {
      // Counted as plain numbers on the delivery path; handed over here, at scrape time.
      this.reset()
      this.inc({ phase: 'replay' }, sseDeliveries.replay)
      this.inc({ phase: 'live' }, sseDeliveries.live)
    },
  })
  new Gauge({
    name: 'taskcast_workers_waiting',
    help: 'Workers whose GET /workers/pull waits on this app for a task',
    registers,
    collect() {
      this.set(options.waitingWorkers())
    },
  })
  new Gauge({
    name: 'taskcast_workers_connected',
    help: 'WebSocket workers connected to this app (GET /workers/ws)',
    registers,
    collect() {
      this.set(options.connectedWorkers())
    },
  })
  new Gauge({
    name: 'taskcast_tasks_waiting',
    help: `Pending tasks created with assign, waiting for a worker, in the shared store (counted up to ${WAITING_COUNT_LIMIT})`,
    registers,
    async collect() {
      // A scrape while the store is down still answers: the gauge keeps its last value.
      const count = await options.waitingTasks().catch(() => {
        storeErrors.inc({ store: 'short-term' })
        return null
      })
      if (count !== null) this.set(count)
    },
  })
  const assignment = new Histogram({
    name: 'taskcast_assignment_wait_seconds',
    help: 'Time from a task’s creation to its assignment to a worker, by task type',
    labelNames: ['type'],
    buckets: ASSIGNMENT_BUCKETS,
    registers,
  })
  const webhooks = new Counter({
    name: 'taskcast_webhook_deliveries_total',
    help: 'Webhook delivery outcomes: delivered (2xx), retried (an attempt failed, another follows), failed (every attempt failed)',
    labelNames: ['outcome'],
    registers,
  })
  const storeErrors = new Counter({
    name: 'taskcast_store_errors_total',
    help: 'Errors of the stores, by store: short-term, long-term, broadcast, or unknown',
    labelNames: ['store'],
    registers,
  })
  // The closed label sets start at 0, so that rate() and increase() see their first event.
  for (const outcome of WEBHOOK_OUTCOMES) webhooks.inc({ outcome }, 0)
  for (const store of STORE_LABELS) storeErrors.inc({ store }, 0)
  if (options.defaultMetrics && !registry.getSingleMetric(DEFAULT_METRIC_PROBE)) collectDefaultMetrics({ register: registry })

  const hooks: TaskcastHooks & { [OBSERVING_HOOKS]: true } = {
    // Counting an error is not reporting it: with no other reporter the engine still prints it.
    [OBSERVING_HOOKS]: true,
    onTaskCreated: (task) => created.inc({ type: taskTypes.of(task.type) }),
    // `to` is one of core's TASK_STATUSES: a closed label set.
    onTaskTransition: (task, _from, to) => transitions.inc({ status: to, type: taskTypes.of(task.type) }),
    onEventPublished: (event) => published.inc({ type: eventTypes.of(event.type) }),
    onUnhandledError: (error, context) => {
      const store = storeOfReportedError(error, context.source)
      if (store) storeErrors.inc({ store })
    },
  }

  return {
    registry,
    hooks,
    observePublish: (seconds) => publishDuration.observe(seconds),
    webhookOutcome: (outcome) => webhooks.inc({ outcome }),
    storeError: (store) => storeErrors.inc({ store }),
    observeAssignment: (task) =>
      assignment.observe({ type: taskTypes.of(task.type) }, Math.max(0, (task.assignedTo?.at ?? Date.now()) - task.createdAt) / 1000),
  }
}
