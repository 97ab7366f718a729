// How a task is shown over HTTP: as stored, except webhook secrets, which never leave the server.
import type { Task } from '@taskcast/core'

export const REDACTED = '[redacted]'

/**
 * Anyone allowed to read a task (a browser token with `event:subscribe`) would otherwise
 * learn the secret that signs its webhooks and could forge deliveries.
 */
export function taskView(task: Task): Task {
  if (!task.webhooks?.some((hook) => hook.secret !== undefined)) return task
  return {
    ...task,
    webhooks: task.webhooks.map((hook) => (hook.secret === undefined ? hook : { ...hook, secret: REDACTED })),
  }
}
