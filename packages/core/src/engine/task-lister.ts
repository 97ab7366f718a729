// engine.listTasks (SPEC §21): the list from a store's task index, or, for a caller allowed
// only some tasks, from those tasks alone.
import { TaskcastError } from '../errors.js'
import type { LongTermStore } from '../storage/long-term-store.js'
import type { ShortTermStore } from '../storage/short-term-store.js'
import {
  encodeTaskCursor,
  matchesTaskQuery,
  taskIndexBounds,
  taskIndexKey,
  validateTaskListQuery,
  type TaskIndexPage,
  type TaskIndexQuery,
  type TaskListPage,
  type TaskListQuery,
} from '../task-list.js'
import type { Task } from '../types.js'
import { isTaskStatus } from '../validation.js'

export interface ListTasksOptions {
  /**
   * Only these tasks may be listed (a token's `taskIds`). The list is then read task by task
   * rather than from the index, so a caller allowed a few tasks never walks everyone's.
   */
  taskIds?: readonly string[]
}

type Lister = Pick<ShortTermStore, 'getTask' | 'listTasks'>

export async function listTasks(
  shortTerm: ShortTermStore,
  longTerm: LongTermStore | undefined,
  query: TaskListQuery,
  options: ListTasksOptions,
): Promise<TaskListPage> {
  const validated = validateTaskListQuery(query, isTaskStatus)
  let store: Lister = shortTerm
  if (validated.source === 'archive') {
    if (!longTerm) {
      throw new TaskcastError('VALIDATION_ERROR', 'source=archive needs a long-term store, and none is configured', {
        details: { field: 'source' },
      })
    }
    store = longTerm
  }
  const page = options.taskIds ? await listAllowed(store, validated, options.taskIds) : await listIndexed(store, validated)
  return { tasks: page.tasks, nextCursor: page.next === null ? null : encodeTaskCursor(page.next) }
}

function listIndexed(store: Lister, query: TaskIndexQuery): Promise<TaskIndexPage> {
  if (!store.listTasks) {
    throw new TaskcastError('VALIDATION_ERROR', 'this store keeps no task index, so tasks cannot be listed', {
      details: { field: 'source' },
    })
  }
  return store.listTasks(query)
}

async function listAllowed(store: Lister, query: TaskIndexQuery, taskIds: readonly string[]): Promise<TaskIndexPage> {
  const { below, atLeast } = taskIndexBounds(query)
  const found = await Promise.all([...new Set(taskIds)].map((taskId) => store.getTask(taskId)))
  const keyed = found
    .filter((task): task is Task => task !== null && matchesTaskQuery(task, query))
    .map((task) => ({ task, key: taskIndexKey(task) }))
    .filter(({ key }) => (below === undefined || key < below) && (atLeast === undefined || key >= atLeast))
    .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0))
  const page = keyed.slice(0, query.limit)
  return { tasks: page.map(({ task }) => task), next: keyed.length > query.limit ? page.at(-1)!.key : null }
}
