// The rows of the list, newest first: each one a link to its task, so Tab reaches it and Enter
// opens it; "Load more" reads the next page.
import type { Task } from '@taskcast/core'
import { BASE_URL } from './base-url.js'
import { formatTime, isoTime } from './format.js'
import { StatusChip } from './status-chip.js'
import type { TaskListSnapshot } from './task-list-model.js'
import { taskHref } from './use-hash-route.js'

interface TaskListProps {
  snapshot: TaskListSnapshot
  selected: string | undefined
  filtering: boolean
  loadingMore: boolean
  onLoadMore(): void
}

function TaskRow({ task, selected }: { task: Task; selected: boolean }) {
  return (
    <li>
      <a className="task-row" href={taskHref(task.id)} aria-current={selected ? 'true' : undefined} data-task-id={task.id}>
        <StatusChip status={task.status} />
        <span className={task.type === undefined ? 'task-type untyped' : 'task-type'}>{task.type ?? 'no type'}</span>
        <time className="task-time" dateTime={isoTime(task.createdAt)}>
          {formatTime(task.createdAt)}
        </time>
        <code className="task-id">{task.id}</code>
        {task.blockedRequest && <span className="task-asks">asks: {task.blockedRequest.type}</span>}
      </a>
    </li>
  )
}

export function TaskList({ snapshot, selected, filtering, loadingMore, onLoadMore }: TaskListProps) {
  const { tasks, loaded, hasMore } = snapshot
  return (
    <>
      {tasks.length > 0 && (
        <ol className="task-list" aria-label="Tasks, newest first">
          {tasks.map((task) => (
            <TaskRow key={task.id} task={task} selected={task.id === selected} />
          ))}
        </ol>
      )}
      {tasks.length === 0 && loaded && !hasMore && (
        <div className="empty">
          {filtering ? (
            <p>No task matches these filters.</p>
          ) : (
            <>
              <p>No tasks yet. Create one and it shows up here at once:</p>
              <pre className="command" tabIndex={0}>
                {`curl -X POST ${BASE_URL}/tasks -H 'content-type: application/json' -d '{"type":"llm.chat"}'`}
              </pre>
            </>
          )}
        </div>
      )}
      {!loaded && <p className="muted">Loading tasks…</p>}
      {hasMore && (
        <button type="button" className="load-more" onClick={onLoadMore} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
    </>
  )
}
