// The REST calls of the page, each with the tab's token: the task list, one task with its
// subscriber count, and, through @taskcast/client, the answer to a blocked task and a cancel.
import { TaskcastClient } from '@taskcast/client'
import type { Task, TaskListPage, TaskListQuery } from '@taskcast/core'
import { authHeaders, networkError, taskcastErrorFromResponse, toTaskListSearchParams } from '@taskcast/core/wire'

/** `GET /tasks/:id`: the task, and how many streams of it are open on every process. */
export type WatchedTask = Task & { subscribers?: number }

export class DashboardApi {
  /** `resolve` and `cancel`, sent once each, never retried. */
  readonly client: TaskcastClient

  constructor(
    readonly baseUrl: string,
    readonly token: string | undefined,
  ) {
    this.client = new TaskcastClient({ baseUrl, token })
  }

  listTasks(query: TaskListQuery, signal?: AbortSignal): Promise<TaskListPage> {
    const search = toTaskListSearchParams(query).toString()
    return this.get(`/tasks${search ? `?${search}` : ''}`, signal)
  }

  getTask(taskId: string, signal?: AbortSignal): Promise<WatchedTask> {
    return this.get(`/tasks/${encodeURIComponent(taskId)}`, signal)
  }

  /** @throws TaskcastError with the server's code, or `STORE_UNAVAILABLE` (`details.network`) when unreachable */
  private async get<T>(path: string, signal: AbortSignal | undefined): Promise<T> {
    const headers = { accept: 'application/json', ...(await authHeaders(this.token)) }
    let response: Response
    try {
      response = await fetch(`${this.baseUrl}${path}`, { headers, ...(signal && { signal }) })
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      throw networkError(error)
    }
    if (!response.ok) throw await taskcastErrorFromResponse(response)
    return (await response.json()) as T
  }
}
