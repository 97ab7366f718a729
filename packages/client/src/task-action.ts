// What a page does to a task besides watching it: answer it (resolve) or stop it (cancel), each
// one POST with the token in the Authorization header and the server's refusal rebuilt as a
// TaskcastError. Sent once, never retried: a lost answer does not say whether the server acted.
import type { Task } from '@taskcast/core'
import { authHeaders, networkError, taskcastErrorFromResponse, type ConnectionSettings } from '@taskcast/core/wire'

export interface TaskActionOptions {
  /** Cancels the request, e.g. `AbortSignal.timeout(5000)`: the promise rejects with its reason. */
  signal?: AbortSignal
}

/**
 * `POST /tasks/:id/<action>` with `body`; the task as the server left it.
 * @throws TaskcastError with the server's code, or `STORE_UNAVAILABLE` (`details.network`) when unreachable
 */
export async function postTaskAction(
  settings: Pick<ConnectionSettings, 'baseUrl' | 'token' | 'fetch'>,
  taskId: string,
  action: 'resolve' | 'cancel',
  body: Record<string, unknown>,
  options: TaskActionOptions = {},
): Promise<Task> {
  const url = `${settings.baseUrl.replace(/\/+$/, '')}/tasks/${encodeURIComponent(taskId)}/${action}`
  const headers = { accept: 'application/json', 'content-type': 'application/json', ...(await authHeaders(settings.token)) }
  let response: Response
  try {
    response = await settings.fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      ...(options.signal && { signal: options.signal }),
    })
  } catch (error) {
    // The caller's own abort is not a network failure: hand it back untouched.
    if (options.signal?.aborted) throw options.signal.reason
    throw networkError(error)
  }
  if (!response.ok) throw await taskcastErrorFromResponse(response)
  return (await response.json()) as Task
}
