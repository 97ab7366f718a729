// Task routes: create, read, transition, resolve, cancel, delete (SPEC §7, §16, §17).
import { taskNotFound, TaskcastError, type TaskStatus, type TransitionPayload } from '@taskcast/core'
import { validateCreateTaskInput } from '@taskcast/core/internal'
import { assertAccess, getAuth, requireScope } from '../auth/index.js'
import { jsonBody, limitBody, readJsonBody } from '../middleware/json-body.js'
import { taskRoute, type RouteContext, type TaskcastHono } from '../route-context.js'
import { taskView } from '../task-view.js'
import { assertWebhookUrlAllowed } from '../webhooks/index.js'

const READ_SCOPES = ['event:subscribe', 'task:manage'] as const
const RESOLVE_SCOPES = ['task:resolve', 'task:manage'] as const
const CANCEL_SCOPES = ['task:cancel', 'task:manage'] as const

export function registerTaskRoutes(app: TaskcastHono, ctx: RouteContext): void {
  const { engine } = ctx
  const body = limitBody(ctx.limits.maxBodyBytes)

  app.post('/tasks', requireScope('task:create'), body, async (c) => {
    const input = validateCreateTaskInput(await readJsonBody(c))
    if (input.webhooks !== undefined && input.webhooks.length > 0) {
      assertAccess(getAuth(c), 'webhook:create')
      // Callers choose these URLs: refuse internal targets before anything is stored.
      await Promise.all(input.webhooks.map((hook) => assertWebhookUrlAllowed(hook.url, ctx.webhooks)))
    }
    return c.json(taskView(await engine.createTask(input)), 201)
  })

  // `subscribers` is counted when asked: no process writes anything per connect for it.
  app.get('/tasks/:id', taskRoute(ctx, READ_SCOPES), async (c) => {
    const task = c.get('task')
    return c.json({ ...taskView(task), subscribers: await engine.countSubscribers(task.id) }, 200)
  })

  // The body is read before the task is: see `jsonBody`.
  const transition = [requireScope('task:manage'), body, jsonBody(), taskRoute(ctx, 'task:manage')] as const
  app.patch('/tasks/:id/status', ...transition, async (c) => {
    const taskId = c.req.param('id')
    const { status, ...payload } = bodyObject(c.get('json'), '{ status, result?, error?, reason?, request? }')
    // The engine checks the payload's fields (unknown ones included) and their values.
    return c.json(taskView(await engine.transitionTask(taskId, status as TaskStatus, payload as TransitionPayload)), 200)
  })

  const resolve = [requireScope(RESOLVE_SCOPES), body, jsonBody(), taskRoute(ctx, RESOLVE_SCOPES)] as const
  app.post('/tasks/:id/resolve', ...resolve, async (c) => {
    const { data } = bodyObject(c.get('json'), '{ data }', ['data'])
    return c.json(taskView(await engine.resolveTask(c.req.param('id'), data)), 200)
  })

  const cancel = [requireScope(CANCEL_SCOPES), body, jsonBody(), taskRoute(ctx, CANCEL_SCOPES)] as const
  app.post('/tasks/:id/cancel', ...cancel, async (c) => {
    // No body at all is a cancel without a reason.
    const json = c.get('json')
    const { reason } = json === undefined ? {} : bodyObject(json, '{ reason? }', ['reason'])
    return c.json(taskView(await engine.cancelTask(c.req.param('id'), reason as string | undefined)), 200)
  })

  app.delete('/tasks/:id', taskRoute(ctx, 'task:manage'), async (c) => {
    const taskId = c.req.param('id')
    // The engine ends this process's streams of the task (a `taskcast.error` frame, then the end).
    if (!(await engine.deleteTask(taskId))) throw taskNotFound(taskId)
    return c.body(null, 204)
  })
}

/**
 * A body that must be a JSON object (`shape` describes it in the error), with only `fields`
 * when they are given.
 * @throws TaskcastError `VALIDATION_ERROR`
 */
function bodyObject(body: unknown, shape: string, fields?: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TaskcastError('VALIDATION_ERROR', `body must be an object ${shape}`)
  }
  const raw = body as Record<string, unknown>
  for (const key of fields ? Object.keys(raw) : []) {
    if (!fields!.includes(key)) throw new TaskcastError('VALIDATION_ERROR', `body.${key} is not a known field`)
  }
  return raw
}
