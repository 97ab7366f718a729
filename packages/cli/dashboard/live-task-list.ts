// The task list kept live: one `GET /events` stream (opened again only when the task types
// asked for change), a TaskListModel per filter, and `GET /tasks` read when the stream connects,
// after each reconnect, when the filter changes, and page by page on "Load more". A store for
// `useSyncExternalStore`: one state object per change.
import type { TaskcastError, TaskListQuery } from '@taskcast/core'
import type { DashboardApi } from './dashboard-api.js'
import { watchEveryTask, type LinkState } from './every-task-stream.js'
import { TaskListModel, type ListFilter, type TaskListSnapshot } from './task-list-model.js'

const PAGE_SIZE = 50

export interface TaskListState {
  snapshot: TaskListSnapshot
  link: LinkState
  /** Why the list could not be read (a refused filter, a token without `task:list`). */
  listProblem: TaskcastError | undefined
  /** Why the list is not live (a token without `event:subscribe`). */
  streamProblem: TaskcastError | undefined
  loadingMore: boolean
}

function listQuery(filter: ListFilter, cursor?: string): TaskListQuery {
  return {
    limit: PAGE_SIZE,
    ...(filter.statuses.length > 0 && { status: [...filter.statuses] }),
    ...(filter.types.length > 0 && { type: [...filter.types] }),
    ...(cursor !== undefined && { cursor }),
  }
}

const filterKey = (filter: ListFilter): string => `${filter.statuses.join(',')}|${filter.types.join(',')}`

export class LiveTaskList {
  private list: TaskListModel
  private state: TaskListState
  private readonly listeners = new Set<() => void>()
  /** Aborted when the list starts over: the answers of its reads are no longer wanted. */
  private reads = new AbortController()
  private unwatch: (() => void) | undefined
  private watchedTypes: string | undefined
  private scheduled = false

  constructor(
    private readonly api: DashboardApi,
    private filter: ListFilter,
    private readonly onUnauthorized: (error: TaskcastError) => void,
  ) {
    this.list = new TaskListModel(filter)
    this.state = { snapshot: this.list.snapshot(), link: 'connecting', listProblem: undefined, streamProblem: undefined, loadingMore: false }
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  readonly getState = (): TaskListState => this.state

  /** Connects (again, after `stop`). */
  start(): void {
    if (this.unwatch) return
    this.reads = new AbortController()
    this.watch()
  }

  stop(): void {
    this.unwatch?.()
    this.unwatch = undefined
    this.watchedTypes = undefined
    this.reads.abort()
  }

  /** Lists `filter` from its first page; the stream carries on unless the task types changed. */
  setFilter(filter: ListFilter): void {
    if (filterKey(filter) === filterKey(this.filter)) return
    this.filter = filter
    this.reads.abort()
    this.reads = new AbortController()
    this.list = new TaskListModel(filter)
    this.update({ snapshot: this.list.snapshot(), listProblem: undefined, loadingMore: false })
    if (!this.unwatch) return
    if (filter.types.join(',') !== this.watchedTypes) {
      this.unwatch()
      this.watch()
    } else if (this.state.link === 'live' || this.state.streamProblem) {
      this.readFirstPage()
    }
  }

  loadMore(): void {
    const { list, reads } = this
    const cursor = list.snapshot().nextCursor
    if (cursor === null || this.state.loadingMore) return
    this.update({ loadingMore: true })
    this.api.listTasks(listQuery(list.filter, cursor), reads.signal).then(
      (page) => {
        list.addPage(page, { first: false })
        this.update({ snapshot: list.snapshot(), loadingMore: false })
      },
      (error: unknown) => this.refused(error, reads, (problem) => this.update({ listProblem: problem, loadingMore: false })),
    )
  }

  private watch(): void {
    this.watchedTypes = this.filter.types.join(',')
    this.update({ streamProblem: undefined })
    this.unwatch = watchEveryTask({
      baseUrl: this.api.baseUrl,
      token: this.api.token,
      taskTypes: this.filter.types,
      onOpen: () => this.readFirstPage(),
      onEnvelope: (envelope) => {
        const missing = this.list.takeEnvelope(envelope)
        this.render()
        if (missing !== undefined) this.readTask(missing)
      },
      onLinkState: (link) => this.update({ link }),
      onRefused: (error) => {
        this.refused(error, this.reads, (problem) => this.update({ streamProblem: problem }))
        // Not live, but the list itself may still be readable.
        if (error.code === 'FORBIDDEN') this.readFirstPage()
      },
    })
  }

  private readFirstPage(): void {
    const { list, reads } = this
    this.api.listTasks(listQuery(list.filter), reads.signal).then(
      (page) => {
        list.addPage(page, { first: true })
        this.update({ snapshot: list.snapshot(), listProblem: undefined })
      },
      (error: unknown) => this.refused(error, reads, (problem) => this.update({ listProblem: problem })),
    )
  }

  /** A task the list never read moved into the filter: its type and times come from a read. */
  private readTask(taskId: string): void {
    const { list, reads } = this
    this.api.getTask(taskId, reads.signal).then(
      ({ subscribers: _counted, ...task }) => {
        list.put(task)
        this.render()
      },
      (error: unknown) => this.refused(error, reads, () => undefined),
    )
  }

  /** A failed request: a 401 asks for another token, anything else is shown by `show`. */
  private refused(error: unknown, reads: AbortController, show: (problem: TaskcastError) => void): void {
    if (reads.signal.aborted) return
    const problem = error as TaskcastError
    if (problem.code === 'UNAUTHORIZED') this.onUnauthorized(problem)
    else show(problem)
  }

  /** Events come in bursts (one network chunk holds many): one new snapshot per burst. */
  private render(): void {
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      this.update({ snapshot: this.list.snapshot() })
    })
  }

  private update(change: Partial<TaskListState>): void {
    this.state = { ...this.state, ...change }
    for (const listener of [...this.listeners]) listener()
  }
}
