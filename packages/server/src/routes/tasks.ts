// Task routes: create, read, transition, delete (SPEC §7).
import { taskNotFound, TaskcastError, type TaskStatus, type TransitionPayload } from '@taskcast/core'
import { validateCreateTaskInput } from '@taskcast/core/internal'
import { assertAccess, getAuth, requireScope } from '../auth/index.js'
import { jsonBody, limitBody, readJsonBody } from '../middleware/json-body.js'
import { taskRoute, type RouteContext, type TaskcastHono } from '../route-context.js'
import { taskView } from '../task-view.js'
import { assertWebhookUrlAllowed } from '../webhooks/index.js'

const READ_SCOPES = ['event:subscribe', 'task:manage'] as const
const TRANSITION_FIELDS = ['status', 'result', 'error']

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

  app.get('/tasks/:id', taskRoute(ctx, READ_SCOPES), (c) => c.json(taskView(c.get('task')), 200))

  // The body is read before the task is: see `jsonBody`.
  const transition = [requireScope('task:manage'), body, jsonBody(), taskRoute(ctx, 'task:manage')] as const
  app.patch('/tasks/:id/status', ...transition, async (c) => {
    const taskId = c.req.param('id')
    const { status, payload } = readTransition(c.get('json'))
    return c.json(taskView(await engine.transitionTask(taskId, status, payload)), 200)
  })

  app.delete('/tasks/:id', taskRoute(ctx, 'task:manage'), async (c) => {
    const taskId = c.req.param('id')
    // The engine ends this process's streams of the task (a `taskcast.error` frame, then the end).
    if (!(await engine.deleteTask(taskId))) throw taskNotFound(taskId)
    return c.body(null, 204)
  })
}

/** The PATCH body `{ status, result?, error? }`; the engine validates the values. */
function readTransition(body: unknown): { status: TaskStatus; payload: TransitionPayload } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TaskcastError('VALIDATION_ERROR', 'body must be an object { status, result?, error? }')
  }
  const raw = body as Record<string, unknown>
  for (const key of Object.keys(raw)) {
    if (!TRANSITION_FIELDS.includes(key)) throw new TaskcastError('VALIDATION_ERROR', `body.${key} is not a known field`)
  }
  const payload: TransitionPayload = {}
  if (raw.result !== undefined) payload.result = raw.result as TransitionPayload['result']
  if (raw.error !== undefined) payload.error = raw.error as TransitionPayload['error']
  return { status: raw.status as TaskStatus, payload }
}
