// What every route module receives from createTaskcastApp: the engine, resolved options, shared state.
import { taskNotFound, type PermissionScope, type Task, type TaskEngine } from '@taskcast/core'
import type { Context, Hono } from 'hono'
import { assertTaskRules, getAuth, type AuthVariables } from './auth/index.js'
import type { LimitOptions, SseOptions } from './options.js'
import type { SseRegistry } from './sse/sse-registry.js'
import type { WebhookOptions } from './webhooks/webhook-types.js'

export type TaskcastEnv = { Variables: AuthVariables }
export type TaskcastHono = Hono<TaskcastEnv>

export interface RouteContext {
  engine: TaskEngine
  limits: Required<LimitOptions>
  sse: Required<SseOptions>
  webhooks: WebhookOptions
  connections: SseRegistry
}

/**
 * Loads the task and applies its own auth rules (SPEC §9) for `scopes`. The rules apply in
 * every auth mode: with `none` there is no `sub` and no claims, so a rule that requires them
 * refuses (fail closed, never relaxing).
 * @throws TaskcastError `TASK_NOT_FOUND`, `FORBIDDEN`
 */
export async function authorizeTask(
  ctx: RouteContext,
  c: Context<TaskcastEnv>,
  taskId: string,
  scopes: PermissionScope | readonly PermissionScope[],
): Promise<Task> {
  const task = await ctx.engine.getTask(taskId)
  if (!task) throw taskNotFound(taskId)
  assertTaskRules(getAuth(c), task, scopes)
  return task
}
