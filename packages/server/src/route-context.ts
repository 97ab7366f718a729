// What every route module receives from createTaskcastApp: the engine, resolved options, shared state.
import { taskNotFound, type PermissionScope, type Task, type TaskEngine, type TaskFacts } from '@taskcast/core'
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { assertAccess, assertTaskRules, getAuth, type AuthVariables } from './auth/index.js'
import type { SseDeliveryCounter } from './metrics/sse-delivery-counter.js'
import type { TaskcastMetrics } from './metrics/taskcast-metrics.js'
import type { LimitOptions, SseOptions } from './options.js'
import type { SseRegistry } from './sse/sse-registry.js'
import type { WebhookOptions } from './webhooks/webhook-types.js'

export type TaskcastEnv = { Variables: AuthVariables & { task: Task; json: unknown } }
export type TaskcastHono = Hono<TaskcastEnv>

export interface RouteContext {
  engine: TaskEngine
  limits: Required<LimitOptions>
  sse: Required<SseOptions>
  webhooks: WebhookOptions
  connections: SseRegistry
  /** Envelopes handed to SSE streams, counted whether or not metrics are on (one increment each). */
  sseDeliveries: SseDeliveryCounter
  /** Present when metrics are enabled. */
  metrics: TaskcastMetrics | undefined
}

/**
 * Middleware of every `/tasks/:id…` route: the caller needs one of `scopes` and the task id in
 * its grant; then the task is read, once, and its own auth rules (SPEC §9) apply. The rules
 * apply in every auth mode: with `none` there is no `sub` and no claims, so a rule that
 * requires them refuses (fail closed, never relaxing). Handlers find the task as `c.get('task')`.
 * @throws TaskcastError `FORBIDDEN`, `TASK_NOT_FOUND`
 */
export function taskRoute(ctx: RouteContext, scopes: PermissionScope | readonly PermissionScope[]): MiddlewareHandler<TaskcastEnv> {
  return async (c, next) => {
    const taskId = c.req.param('id')
    if (taskId === undefined) throw new Error('taskRoute needs a route with an :id parameter')
    const auth = getAuth(c)
    assertAccess(auth, scopes, taskId)
    const task = await ctx.engine.getTask(taskId)
    if (!task) throw taskNotFound(taskId)
    assertTaskRules(auth, task, scopes)
    c.set('task', task)
    await next()
  }
}

/**
 * The part of `taskRoute` that needs no read of the task: the caller holds one of `scopes` and
 * the task id is in its grant. For routes whose engine call applies the task's own rules
 * itself (`publishAdmitted`, with `admitFor`).
 * @throws TaskcastError `FORBIDDEN`
 */
export function taskGrant(scopes: PermissionScope | readonly PermissionScope[]): MiddlewareHandler<TaskcastEnv> {
  return async (c, next) => {
    const taskId = c.req.param('id')
    if (taskId === undefined) throw new Error('taskGrant needs a route with an :id parameter')
    assertAccess(getAuth(c), scopes, taskId)
    await next()
  }
}

/** What `taskRoute` checks once the task is read, for an engine call that reads it (see `taskGrant`). */
export function admitFor(c: Context<TaskcastEnv>, scopes: PermissionScope | readonly PermissionScope[]): (task: TaskFacts) => void {
  const auth = getAuth(c)
  return (task) => assertTaskRules(auth, task, scopes)
}
