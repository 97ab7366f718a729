// Engine hooks that report failed and timed-out tasks, webhook deliveries that gave up, and
// unhandled engine errors to Sentry (SPEC §14).
import * as Sentry from '@sentry/node'
import type { Scope } from '@sentry/node'
import type { Task, TaskError, TaskcastHooks } from '@taskcast/core'

// @sentry/node exports the client class but not the interface every Sentry SDK's client implements.
export type SentryClient = NonNullable<ReturnType<typeof Sentry.getClient>>

export interface SentryHooksOptions {
  /** Report every task that ends `failed`. @defaultValue true */
  captureTaskFailures?: boolean
  /** Report every task that ends `timeout`. @defaultValue true */
  captureTaskTimeouts?: boolean
  /** Report webhook deliveries that failed after their last retry. @defaultValue true */
  captureWebhookFailures?: boolean
  /** Report errors the engine caught from its own background work and from other hooks. @defaultValue true */
  captureUnhandledErrors?: boolean
  /**
   * Initialises Sentry with this DSN when it is not already enabled in the process
   * (`Sentry.isEnabled()` is false). Ignored when `sentry` is given or the host already called `Sentry.init`.
   */
  dsn?: string
  /** The Sentry client to report to. @defaultValue the process-wide client, looked up at each report */
  sentry?: SentryClient
}

export interface SentryHooks extends TaskcastHooks {
  /** Not a hook: waits until queued reports are sent; resolves `false` if `timeoutMs` ran out first. */
  flush(timeoutMs?: number): Promise<boolean>
}

const DEFAULT_FLUSH_TIMEOUT_MS = 2000

/**
 * Creates Taskcast engine hooks that report to Sentry. Hooks whose switch is off are left out.
 *
 * @example
 * ```ts
 * const hooks = createSentryHooks({ dsn: process.env.SENTRY_DSN, captureTaskTimeouts: false })
 * const engine = new TaskEngine({ broadcast, shortTermStore, hooks })
 * process.on('SIGTERM', () => void hooks.flush(2000))
 * ```
 */
export function createSentryHooks(options: SentryHooksOptions = {}): SentryHooks {
  const {
    captureTaskFailures = true,
    captureTaskTimeouts = true,
    captureWebhookFailures = true,
    captureUnhandledErrors = true,
    dsn,
    sentry: client,
  } = options

  if (dsn && !client && !Sentry.isEnabled()) Sentry.init({ dsn, defaultIntegrations: false })

  // Capturing through the forked scope (not the top-level functions) keeps the tags on this one
  // report and lets an injected client receive it without touching the global one.
  const report = (fill: (scope: Scope) => void): void => {
    Sentry.withScope((scope) => {
      if (client) scope.setClient(client)
      fill(scope)
    })
  }

  const hooks: SentryHooks = {
    flush: async (timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS) => (client ? client.flush(timeoutMs) : Sentry.flush(timeoutMs)),
  }
  if (captureTaskFailures) {
    hooks.onTaskFailed = (task, error) => report((scope) => captureTask(scope, task, error, 'failed'))
  }
  if (captureTaskTimeouts) {
    hooks.onTaskTimeout = (task) => report((scope) => captureTask(scope, task, task.error, 'timed out'))
  }
  if (captureWebhookFailures) {
    hooks.onWebhookFailed = (config, error, event) =>
      report((scope) => {
        scope.setTag('taskcast.task_id', event.taskId)
        scope.setTag('taskcast.event_type', event.type)
        // The URL may carry credentials in its userinfo, path or query: only the host leaves the process.
        scope.setTag('taskcast.webhook_host', hostOf(config.url))
        scope.captureException(error)
      })
  }
  if (captureUnhandledErrors) {
    hooks.onUnhandledError = (error, context) =>
      report((scope) => {
        scope.setTag('taskcast.source', context.source)
        if (context.taskId !== undefined) scope.setTag('taskcast.task_id', context.taskId)
        scope.captureException(error)
      })
  }
  return hooks
}

// A task's error is data a producer sent, often from another process: there is no JS stack to
// report, so it goes out as a message. The task id in the text keeps Sentry's Dedupe integration
// from dropping a second task that failed the same way; the fingerprint groups by type and code.
function captureTask(scope: Scope, task: Task, error: TaskError | undefined, outcome: 'failed' | 'timed out'): void {
  scope.setTag('taskcast.task_id', task.id)
  scope.setTag('taskcast.status', task.status)
  if (task.type !== undefined) scope.setTag('taskcast.task_type', task.type)
  if (error) {
    scope.setContext('taskcast_task_error', { code: error.code, message: error.message, details: error.details })
  }
  if (error?.code) scope.setFingerprint([`taskcast.task_${task.status}`, task.type ?? '', error.code])
  const reason = error ? `: ${error.code ? `${error.code}: ` : ''}${error.message}` : ''
  scope.captureMessage(`Task ${task.id} ${outcome}${reason}`, 'error')
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'invalid-url'
  }
}
