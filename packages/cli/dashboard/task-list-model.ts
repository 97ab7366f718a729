// The tasks the list shows, kept up to date from three sources: pages of `GET /tasks`, the
// creation notices and status events of `GET /events`, and reads of single tasks. Whichever
// source knows the newer state of a task wins: a status event's timestamp is the `updatedAt` it
// gives the task, so the two compare directly.
import {
  isTerminalStatus,
  matchesType,
  STATUS_EVENT_TYPE,
  TASK_CREATED_TYPE,
  TASK_STATUSES,
  type SSEEnvelope,
  type StatusEventData,
  type Task,
  type TaskCreatedData,
  type TaskListPage,
  type TaskStatus,
} from '@taskcast/core'

/** What the list asks for; empty means any. */
export interface ListFilter {
  statuses: readonly TaskStatus[]
  /** Task types, with wildcards (`llm.*`). */
  types: readonly string[]
}

export interface TaskListSnapshot {
  /** Newest first, as `GET /tasks` orders them. */
  tasks: readonly Task[]
  /** How many of `tasks` are in each status, in the order of `TASK_STATUSES`; statuses with none left out. */
  counts: ReadonlyArray<readonly [TaskStatus, number]>
  /** Whether a page has been read yet. */
  loaded: boolean
  /** Whether `GET /tasks` has more (older) tasks than those read. */
  hasMore: boolean
  /** The cursor of the next page, when there is one. */
  nextCursor: string | null
}

export function matchesListFilter(task: Pick<Task, 'status' | 'type'>, filter: ListFilter): boolean {
  if (filter.statuses.length > 0 && !filter.statuses.includes(task.status)) return false
  return filter.types.length === 0 || (task.type !== undefined && matchesType(filter.types, task.type))
}

/** The index order of `GET /tasks`: a positive number when `a` is newer (created later, ties by the greater id). */
function newness(a: Task, b: Task): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt
  return a.id === b.id ? 0 : a.id > b.id ? 1 : -1
}

/** The task as a status event leaves it. */
function withStatusEvent(task: Task, data: StatusEventData, at: number): Task {
  const next: Task = { ...task, status: data.status, updatedAt: at }
  if (isTerminalStatus(data.status)) next.completedAt = at
  if (data.result !== undefined) next.result = data.result
  if (data.error !== undefined) next.error = data.error
  if (data.request !== undefined) next.blockedRequest = data.request
  else delete next.blockedRequest
  if ('resolution' in data) next.resolution = data.resolution
  return next
}

export class TaskListModel {
  /** The newest state known of every task met, listed or not. */
  private readonly known = new Map<string, Task>()
  /** Every known task, newest first. */
  private order: Task[] = []
  /** `undefined` until the first page; `null` once every page was read. */
  private cursor: string | null | undefined
  /** The oldest task of the pages read: older tasks wait for "Load more". */
  private oldestRead: Task | undefined
  private snapshotCache: TaskListSnapshot | undefined

  constructor(readonly filter: ListFilter) {}

  /**
   * A page of `GET /tasks`. A first page read again (after the stream reconnected) refreshes
   * the tasks it holds without moving where paging stands.
   */
  addPage(page: TaskListPage, { first }: { first: boolean }): void {
    for (const task of page.tasks) this.put(task)
    if (!first || this.cursor === undefined) {
      this.cursor = page.nextCursor
      const last = page.tasks[page.tasks.length - 1]
      if (last && (!this.oldestRead || newness(last, this.oldestRead) < 0)) this.oldestRead = last
    }
    this.changed()
  }

  /** A task as a read of it returned it; kept unless something newer is known. */
  put(task: Task): void {
    const held = this.known.get(task.id)
    if (held && held.updatedAt > task.updatedAt) return
    this.store(task, held)
  }

  /**
   * An envelope of `GET /events`. Returns the id of a task to read (`GET /tasks/:id`) when the
   * event moved a task the list does not know into the filter.
   */
  takeEnvelope(envelope: SSEEnvelope): string | undefined {
    const { taskId } = envelope
    if (envelope.type === TASK_CREATED_TYPE) {
      if (this.known.has(taskId)) return undefined
      const data = envelope.data as TaskCreatedData
      const task: Task = { id: taskId, status: data.status, createdAt: data.createdAt, updatedAt: data.createdAt }
      if (data.type !== undefined) task.type = data.type
      this.store(task, undefined)
      return undefined
    }
    if (envelope.type !== STATUS_EVENT_TYPE) return undefined
    const data = envelope.data as StatusEventData
    const held = this.known.get(taskId)
    if (!held) return matchesListFilter({ status: data.status }, { ...this.filter, types: [] }) ? taskId : undefined
    // The same millisecond as the state held: newer only if it starts where that state is.
    const newer = envelope.timestamp > held.updatedAt || (envelope.timestamp === held.updatedAt && held.status === data.previousStatus)
    if (newer) this.store(withStatusEvent(held, data, envelope.timestamp), held)
    return undefined
  }

  snapshot(): TaskListSnapshot {
    if (this.snapshotCache) return this.snapshotCache
    const tasks = this.order.filter((task) => matchesListFilter(task, this.filter) && this.withinPagesRead(task))
    const perStatus = new Map<TaskStatus, number>()
    for (const task of tasks) perStatus.set(task.status, (perStatus.get(task.status) ?? 0) + 1)
    this.snapshotCache = {
      tasks,
      counts: TASK_STATUSES.flatMap((status) => {
        const count = perStatus.get(status)
        return count ? [[status, count] as const] : []
      }),
      loaded: this.cursor !== undefined,
      hasMore: typeof this.cursor === 'string',
      nextCursor: this.cursor ?? null,
    }
    return this.snapshotCache
  }

  /**
   * Tasks older than the last page read are left for the next page: shown now, they would sit
   * at the bottom with a gap of unread tasks above them.
   */
  private withinPagesRead(task: Task): boolean {
    return this.cursor === null || !this.oldestRead || newness(task, this.oldestRead) >= 0
  }

  private store(task: Task, held: Task | undefined): void {
    this.known.set(task.id, task)
    if (held) {
      this.order[this.order.indexOf(held)] = task
    } else {
      // Binary search for the place of a new task: most are the newest and go first.
      let low = 0
      let high = this.order.length
      while (low < high) {
        const middle = (low + high) >>> 1
        if (newness(this.order[middle]!, task) > 0) low = middle + 1
        else high = middle
      }
      this.order.splice(low, 0, task)
    }
    this.changed()
  }

  private changed(): void {
    this.snapshotCache = undefined
  }
}
