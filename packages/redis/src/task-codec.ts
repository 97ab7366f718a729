// Tasks as Redis hashes: one field per task property, each value JSON-encoded by
// JavaScript, so a transition sets fields without any JSON work (or cjson loss) in Lua.
import type { Task, TransitionRequest } from '@taskcast/core'

/** Fields of the task hash that are the store's own bookkeeping, not task properties. */
const INTERNAL_FIELD_PREFIX = '@'

/** `field, json, field, json, …` for every defined property of `task`. */
export function encodeTaskFields(task: Task): string[] {
  const args: string[] = []
  for (const [field, value] of Object.entries(task)) {
    const json = value === undefined ? undefined : JSON.stringify(value)
    if (json !== undefined) args.push(field, json)
  }
  return args
}

/**
 * A transition patch as the fields to set (`field, json, …`) and the fields to remove:
 * a property set to `undefined` in the patch ends up absent, as with object spread.
 */
export function encodePatch(patch: TransitionRequest['patch']): { set: string[]; remove: string[] } {
  const set: string[] = []
  const remove: string[] = []
  for (const [field, value] of Object.entries(patch)) {
    const json = value === undefined ? undefined : JSON.stringify(value)
    if (json === undefined) remove.push(field)
    else set.push(field, json)
  }
  return { set, remove }
}

/** A task from its hash given as an object (HGETALL) or as `field, value, …` pairs. */
export function decodeTask(hash: Record<string, string> | readonly string[]): Task {
  const entries: Array<[string, string]> = []
  if (Array.isArray(hash)) {
    for (let i = 0; i + 1 < hash.length; i += 2) entries.push([hash[i]!, hash[i + 1]!])
  } else {
    entries.push(...Object.entries(hash))
  }
  const task: Record<string, unknown> = {}
  for (const [field, json] of entries) {
    if (!field.startsWith(INTERNAL_FIELD_PREFIX)) task[field] = JSON.parse(json)
  }
  return task as unknown as Task
}
