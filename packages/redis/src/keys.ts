// Key layout: every key and channel of a task carries the hash tag `{<taskId>}`, so one
// task's keys share a Redis Cluster slot and its scripts can touch them all.
import { TaskcastError } from '@taskcast/core'

/** @defaultValue of every `keyPrefix` option. */
export const DEFAULT_KEY_PREFIX = 'taskcast:'

/** The four keys of a task, in the order every script takes them as KEYS[1..4]. */
export type TaskKeys = readonly [task: string, events: string, series: string, ids: string]

export function taskKeys(prefix: string, taskId: string): TaskKeys {
  const tag = `{${taskId}}`
  return [`${prefix}task:${tag}`, `${prefix}events:${tag}`, `${prefix}series:${tag}`, `${prefix}ids:${tag}`]
}

/**
 * The sorted set of TTL deadlines (task id scored by deadline, ms since epoch), shared by
 * every process using the prefix. It is the one key without a task's hash tag: it is only
 * ever touched by plain commands, never inside a task's scripts (Redis Cluster refuses a
 * script whose keys span slots).
 */
export function deadlinesKey(prefix: string): string {
  return `${prefix}deadlines`
}

/**
 * The archive outbox: a sorted set of the ids of tasks that may have changes the long-term
 * store does not hold yet, scored by when a writer last touched them (ms since epoch),
 * shared by every process using the prefix. Like `deadlines`, it has no task hash tag and
 * is only touched by commands and scripts that use no other key.
 */
export function outboxKey(prefix: string): string {
  return `${prefix}outbox`
}

/** The pub/sub channel of a task's live events. */
export function liveChannel(prefix: string, taskId: string): string {
  return `${prefix}live:{${taskId}}`
}

/** The pattern that matches every task's live channel (`GET /events` subscribes with it). */
export function liveChannelPattern(prefix: string): string {
  return `${prefix}live:*`
}

/**
 * The channel on which processes ask one another how many subscribers a task has; answers go
 * to `controlReplyChannel` of the asker.
 */
export function controlChannel(prefix: string): string {
  return `${prefix}control`
}

export function controlReplyChannel(prefix: string, origin: string): string {
  return `${prefix}control:${origin}`
}

/**
 * The task index (SPEC §21): sorted sets of `taskIndexKey` members (all scored 0, read by
 * lex range), one of every task and one per status. Like `deadlines` they have no task hash
 * tag, so they are written by plain commands next to a task's scripts, never inside them.
 */
export function taskIndexKeyOfAll(prefix: string): string {
  return `${prefix}index:all`
}

export function taskIndexKeyOfStatus(prefix: string, status: string): string {
  return `${prefix}index:status:${status}`
}

/**
 * Index members of tasks whose keys carry a TTL (`retentionSeconds`, `expire()`), scored by
 * the earliest time (ms since epoch) they may vanish: what `listTasks` prunes from the index
 * sets, so entries of expired tasks do not pile up where no page ever reads.
 */
export function taskIndexKeyOfExpiring(prefix: string): string {
  return `${prefix}index:expiring`
}

/**
 * The `keyPrefix` option of every adapter, checked by its constructor. A brace in the prefix
 * would become the hash tag of every key, putting all tasks in one cluster slot (and breaking
 * the per-task tag), so it is refused.
 * @throws TaskcastError `VALIDATION_ERROR` with `details.field` `keyPrefix`.
 */
export function checkKeyPrefix(prefix: string): string {
  if (prefix.includes('{') || prefix.includes('}')) {
    throw new TaskcastError('VALIDATION_ERROR', `keyPrefix must not contain braces: ${JSON.stringify(prefix)}`, {
      details: { field: 'keyPrefix' },
    })
  }
  return prefix
}
