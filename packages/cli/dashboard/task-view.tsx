// One task: its status, its question when it is blocked, Cancel while it has not ended, its
// details, the text of its series and its events, streaming. The stream (@taskcast/react) joins
// with the task's history and resumes after the last event it had when the connection drops.
import { isTerminalStatus, type TaskcastError } from '@taskcast/core'
import { useTaskEvents } from '@taskcast/react'
import { useEffect, useRef } from 'react'
import { CancelTask } from './cancel-task.js'
import type { DashboardApi } from './dashboard-api.js'
import { EventLog } from './event-log.js'
import { describeError } from './format.js'
import { SeriesTexts } from './series-texts.js'
import { StatusChip } from './status-chip.js'
import { TaskFacts } from './task-facts.js'
import { TaskRequest } from './task-request.js'
import { useSeriesTexts } from './use-series-texts.js'
import { useTaskDetails } from './use-task-details.js'

interface TaskViewProps {
  taskId: string
  api: DashboardApi
  onUnauthorized(error: TaskcastError): void
}

export function TaskView({ taskId, api, onUnauthorized }: TaskViewProps) {
  const stream = useTaskEvents(taskId, { baseUrl: api.baseUrl, token: api.token })
  const details = useTaskDetails(api, taskId, stream.status, onUnauthorized)
  const texts = useSeriesTexts(stream.events)
  const heading = useRef<HTMLHeadingElement>(null)

  // Opening a task moves the focus to it, as a new page would.
  useEffect(() => {
    heading.current?.focus()
  }, [])
  useEffect(() => {
    if (stream.error?.code === 'UNAUTHORIZED') onUnauthorized(stream.error)
  }, [stream.error, onUnauthorized])

  const task = details.task
  // A pending task has had no status event yet: its status is the one read.
  const status = stream.status ?? task?.status
  const request = stream.request ?? (status === 'blocked' ? task?.blockedRequest : undefined)
  const problem = stream.error ?? details.problem

  return (
    <article className="task-view" aria-labelledby="task-heading">
      <a className="back" href="#">
        ← All tasks
      </a>
      <header className="task-head">
        <div className="task-title">
          <h2 id="task-heading" tabIndex={-1} ref={heading}>
            {task?.type ?? (task ? 'Task without a type' : 'Task')}
          </h2>
          <code className="task-view-id">{taskId}</code>
        </div>
        <div className="task-state">
          {status && <StatusChip status={status} />}
          {status && !isTerminalStatus(status) && <CancelTask taskId={taskId} client={api.client} />}
        </div>
      </header>
      {problem && (
        <p className="problem" role="alert">
          {problem.code === 'TASK_NOT_FOUND' ? `There is no task ${taskId} (it may have been deleted or expired).` : describeError(problem)}
        </p>
      )}
      {status === 'blocked' && request && <TaskRequest taskId={taskId} request={request} client={api.client} />}
      <SeriesTexts texts={texts} />
      {task && <TaskFacts task={task} />}
      <EventLog events={stream.events} />
    </article>
  )
}
