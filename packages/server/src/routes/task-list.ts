// GET /tasks (SPEC §21): a page of tasks, newest first, from the store's task index.
import { parseTaskListParams } from '@taskcast/core/wire'
import { getAuth, requireScope, taskRulesAllow } from '../auth/index.js'
import type { RouteContext, TaskcastHono } from '../route-context.js'
import { taskView } from '../task-view.js'

export function registerTaskListRoute(app: TaskcastHono, ctx: RouteContext): void {
  app.get('/tasks', requireScope('task:list'), async (c) => {
    const auth = getAuth(c)
    const query = parseTaskListParams(new URL(c.req.url).searchParams)
    const page = await ctx.engine.listTasks(query, auth.taskIds === '*' ? {} : { taskIds: auth.taskIds })
    // A task whose own rules refuse this caller the list is left out, as if it were not there.
    const tasks = page.tasks.filter((task) => taskRulesAllow(auth, task, 'task:list')).map(taskView)
    return c.json({ tasks, nextCursor: page.nextCursor }, 200)
  })
}
