// `createTask` with the caller's id is safe to send again: when an attempt's answer is lost and
// the repeat meets DUPLICATE_TASK, the task it found is the first attempt's doing if it is what
// was asked for (else someone else holds the id, and the refusal stands).
import type { CreateTaskInput, Task, TaskcastError, WebhookConfig } from '@taskcast/core'
import type { HttpResponse } from './http-requester.js'

/** The fields of a create that the server stores as given. */
const STORED_AS_GIVEN = ['type', 'params', 'metadata', 'ttl', 'authConfig', 'cleanup'] as const

// Webhook secrets never come back from the server: a hook is compared by whether it has one.
function withoutSecret({ secret, ...hook }: WebhookConfig): Omit<WebhookConfig, 'secret'> & { signed: boolean } {
  return { ...hook, signed: secret !== undefined }
}

/** Whether `task` is what `input` creates (JSON both ways keeps key order: the server stores what it parsed). */
export function isCreatedBy(input: CreateTaskInput, task: Task): boolean {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)
  return (
    task.id === input.id &&
    STORED_AS_GIVEN.every((field) => same(input[field], task[field])) &&
    same(input.webhooks?.map(withoutSecret), task.webhooks?.map(withoutSecret))
  )
}

/** `recogniseRepeat` for `POST /tasks` of `input` (which has an id): reads the task it collided with. */
export function recogniseCreateRepeat(
  input: CreateTaskInput,
  readTask: (id: string) => Promise<Task | null>,
): (refusal: TaskcastError) => Promise<HttpResponse<Task> | undefined> {
  return async (refusal) => {
    if (refusal.code !== 'DUPLICATE_TASK') return undefined
    const task = await readTask(input.id!)
    return task && isCreatedBy(input, task) ? { status: 201, body: task } : undefined
  }
}
