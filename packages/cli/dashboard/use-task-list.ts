// The live task list as React state: one LiveTaskList per mount, connected while mounted and
// pointed at the filter after each change of it.
import type { TaskcastError } from '@taskcast/core'
import { useEffect, useRef, useState, useSyncExternalStore } from 'react'
import type { DashboardApi } from './dashboard-api.js'
import { LiveTaskList, type TaskListState } from './live-task-list.js'
import type { ListFilter } from './task-list-model.js'

/**
 * The tasks of `filter`, live. `onUnauthorized` is called when the server refuses the token
 * (401), for the page to ask for another one. `api` is read once: a new token is a new mount.
 */
export function useTaskList(
  api: DashboardApi,
  filter: ListFilter,
  onUnauthorized: (error: TaskcastError) => void,
): TaskListState & { loadMore(): void } {
  const unauthorized = useRef(onUnauthorized)
  useEffect(() => {
    unauthorized.current = onUnauthorized
  })
  const [live] = useState(() => new LiveTaskList(api, filter, (error) => unauthorized.current(error)))
  useEffect(() => {
    live.start()
    return () => live.stop()
  }, [live])
  useEffect(() => {
    live.setFilter(filter)
  }, [live, filter])
  const state = useSyncExternalStore(live.subscribe, live.getState)
  return { ...state, loadMore: () => live.loadMore() }
}
