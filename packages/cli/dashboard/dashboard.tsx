// The page once the API answers: the list (filters, counts, rows) and the task opened from it,
// side by side on a wide screen, one after the other (with a way back) on a narrow one.
import type { TaskcastError } from '@taskcast/core'
import { useState } from 'react'
import type { DashboardApi } from './dashboard-api.js'
import { Filters, NO_FILTER } from './filters.js'
import { describeError } from './format.js'
import { LinkStatus } from './link-status.js'
import { StatusCounts } from './status-counts.js'
import { TaskList } from './task-list.js'
import type { ListFilter } from './task-list-model.js'
import { TaskView } from './task-view.js'
import { useHashRoute } from './use-hash-route.js'
import { useTaskList } from './use-task-list.js'

interface DashboardProps {
  api: DashboardApi
  onUnauthorized(error: TaskcastError): void
  onForgetToken(): void
}

export function Dashboard({ api, onUnauthorized, onForgetToken }: DashboardProps) {
  const selected = useHashRoute()
  const [filter, setFilter] = useState<ListFilter>(NO_FILTER)
  const list = useTaskList(api, filter, onUnauthorized)
  const filtering = filter.statuses.length > 0 || filter.types.length > 0

  return (
    <div className="app" data-view={selected === undefined ? 'list' : 'task'}>
      <header className="topbar">
        <h1 className="brand">
          Taskcast <span className="brand-sub">dashboard</span>
        </h1>
        <LinkStatus link={list.link} />
        {api.token !== undefined && (
          <button type="button" className="quiet" onClick={onForgetToken}>
            Forget token
          </button>
        )}
      </header>
      <div className="layout">
        <section className="list-pane" aria-labelledby="list-heading">
          <h2 id="list-heading" className="visually-hidden">
            Tasks
          </h2>
          <Filters filter={filter} onChange={setFilter} />
          {list.streamProblem && (
            <p className="problem" role="alert">
              Not live: {describeError(list.streamProblem)}
            </p>
          )}
          {list.listProblem && (
            <p className="problem" role="alert">
              The list cannot be read: {describeError(list.listProblem)}
            </p>
          )}
          <StatusCounts counts={list.snapshot.counts} total={list.snapshot.tasks.length} />
          <TaskList
            snapshot={list.snapshot}
            selected={selected}
            filtering={filtering}
            loadingMore={list.loadingMore}
            onLoadMore={list.loadMore}
          />
        </section>
        <section className="task-pane" aria-label="The task opened">
          {selected === undefined ? (
            <p className="placeholder">Open a task to follow its events.</p>
          ) : (
            <TaskView key={selected} taskId={selected} api={api} onUnauthorized={onUnauthorized} />
          )}
        </section>
      </div>
    </div>
  )
}
