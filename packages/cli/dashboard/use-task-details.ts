// One task as `GET /tasks/:id` has it (params, metadata, result, subscribers…), read when the
// view opens and again at each status its stream reports, when those fields may have changed.
import type { TaskcastError, TaskStatus } from '@taskcast/core'
import { useEffect, useRef, useState } from 'react'
import type { DashboardApi, WatchedTask } from './dashboard-api.js'

export interface TaskDetails {
  task: WatchedTask | undefined
  problem: TaskcastError | undefined
}

export function useTaskDetails(
  api: DashboardApi,
  taskId: string,
  status: TaskStatus | undefined,
  onUnauthorized: (error: TaskcastError) => void,
): TaskDetails {
  const [details, setDetails] = useState<TaskDetails>({ task: undefined, problem: undefined })
  const unauthorized = useRef(onUnauthorized)
  useEffect(() => {
    unauthorized.current = onUnauthorized
  })

  useEffect(() => {
    const stop = new AbortController()
    api.getTask(taskId, stop.signal).then(
      (task) => setDetails({ task, problem: undefined }),
      (error: unknown) => {
        if (stop.signal.aborted) return
        const problem = error as TaskcastError
        if (problem.code === 'UNAUTHORIZED') unauthorized.current(problem)
        else setDetails((held) => ({ task: held.task, problem }))
      },
    )
    return () => stop.abort()
  }, [api, taskId, status])

  return details
}
