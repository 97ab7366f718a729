// The one TaskStreamObserver behind a hook, held the TanStack Query way: created once per
// component with useState (React never drops state, unlike a useMemo cache), then pointed at
// the current task and filter with `setOptions` after each commit. The observer decides what
// restarts the stream; this file only says what the hook asks for.
import { TaskStreamObserver, type TaskStreamObserverOptions } from '@taskcast/client'
import { useEffect, useRef, useState } from 'react'
import type { UseTaskEventsOptions } from './use-task-events.js'
import { useTaskcastClient } from './use-taskcast-client.js'

export interface TaskStreamBinding<TData> {
  observer: TaskStreamObserver<TData>
  /**
   * False during the render that changed the task, filter or base URL, before the effect
   * moved the observer: that render must show the new stream's empty state, not the old one.
   */
  current: boolean
}

export function useTaskStreamObserver<TData>(
  taskId: string | null | undefined,
  options: UseTaskEventsOptions,
): TaskStreamBinding<TData> {
  const { baseUrl, reconnect, filter, seriesFormat, enabled } = options
  const latest = useRef(options)
  useEffect(() => {
    latest.current = options
  })
  const client = useTaskcastClient(baseUrl, reconnect, latest)

  const observerOptions: TaskStreamObserverOptions = {
    ...(filter !== undefined && { filter }),
    ...(seriesFormat !== undefined && { seriesFormat }),
    ...(enabled !== undefined && { enabled }),
  }
  const [observer] = useState(() => new TaskStreamObserver<TData>(client, taskId, observerOptions))
  // Every commit: the observer compares (the filter by value) and only restarts on a change.
  useEffect(() => {
    observer.setOptions(client, taskId, observerOptions)
  })
  return { observer, current: observer.matches(client, taskId, observerOptions) }
}
