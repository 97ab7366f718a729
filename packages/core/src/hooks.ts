// Lifecycle hooks. A hook may throw or reject: the error goes to onUnhandledError, never into the engine.
import type { SSEEnvelope, Task, TaskError, TaskEvent, TaskStatus, WebhookConfig } from './types.js'

export interface HookErrorContext {
  /** Where the error happened, e.g. `hook:onTaskCreated`, `long-term-writer`, `ttl`. */
  source: string
  taskId?: string
}

export interface TaskcastHooks {
  onTaskCreated?(task: Task): void | Promise<void>
  onTaskTransition?(task: Task, from: TaskStatus, to: TaskStatus): void | Promise<void>
  onTaskFailed?(task: Task, error: TaskError): void | Promise<void>
  onTaskTimeout?(task: Task): void | Promise<void>
  onEventPublished?(event: TaskEvent): void | Promise<void>
  onWebhookFailed?(config: WebhookConfig, error: unknown, event: TaskEvent | SSEEnvelope): void | Promise<void>
  onSSEConnect?(taskId: string, clientId: string): void | Promise<void>
  onSSEDisconnect?(taskId: string, clientId: string, durationMs: number): void | Promise<void>
  onUnhandledError?(error: unknown, context: HookErrorContext): void
}

/**
 * Marks a hook set whose `onUnhandledError` only observes (the server's metrics count errors):
 * it does not stand in for a reporter, so with no other `onUnhandledError` the error still goes
 * to the console.
 */
export const OBSERVING_HOOKS: unique symbol = Symbol.for('taskcast.observingHooks')

export type HookName = Exclude<keyof TaskcastHooks, 'onUnhandledError'>
type HookArgs<K extends HookName> = Parameters<NonNullable<TaskcastHooks[K]>>

/** Several hook sets behind one safe `emit`. */
export class HookRegistry {
  private readonly sets: TaskcastHooks[] = []

  add(hooks: TaskcastHooks): () => void {
    this.sets.push(hooks)
    return () => {
      const at = this.sets.indexOf(hooks)
      if (at >= 0) this.sets.splice(at, 1)
    }
  }

  has(name: keyof TaskcastHooks): boolean {
    for (const set of this.sets) if (set[name]) return true
    return false
  }

  emit<K extends HookName>(name: K, ...args: HookArgs<K>): void {
    for (const set of this.sets) {
      const hook = set[name] as ((...a: HookArgs<K>) => void | Promise<void>) | undefined
      if (!hook) continue
      try {
        const result = hook.apply(set, args)
        if (result && typeof (result as Promise<void>).then === 'function') {
          ;(result as Promise<void>).catch((error: unknown) => this.reportError(error, { source: `hook:${name}` }))
        }
      } catch (error) {
        this.reportError(error, { source: `hook:${name}` })
      }
    }
  }

  reportError(error: unknown, context: HookErrorContext): void {
    let reported = false
    for (const set of this.sets) {
      if (!set.onUnhandledError) continue
      if (!(set as { [OBSERVING_HOOKS]?: true })[OBSERVING_HOOKS]) reported = true
      try {
        set.onUnhandledError(error, context)
      } catch {
        // An error reporter that fails has nowhere left to report to.
      }
    }
    if (!reported) console.error(`[taskcast] unhandled error in ${context.source}`, error)
  }
}
