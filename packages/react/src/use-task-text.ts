// useTaskText: the accumulated text of one accumulate series, right after a reload too
// (the late-join snapshot replaces the text, the deltas after it append). The observer folds
// the text one event at a time; the hook binds that string, so it re-renders only when the
// text changed.
import type { AccumulateTextOptions } from '@taskcast/client'
import { useSyncExternalStore } from 'react'
import type { UseTaskEventsOptions } from './use-task-events.js'
import { useTaskStreamObserver } from './use-task-stream-observer.js'

export interface UseTaskTextOptions extends Omit<UseTaskEventsOptions, 'seriesFormat'>, AccumulateTextOptions {}

/**
 * @example
 * const text = useTaskText(taskId, 'response', { baseUrl: 'http://localhost:3721' })
 */
export function useTaskText(
  taskId: string | null | undefined,
  seriesId: string,
  options: UseTaskTextOptions,
): string {
  const { field, ...streamOptions } = options
  const { observer, current } = useTaskStreamObserver(taskId, streamOptions)
  const textOptions = field !== undefined ? { field } : {}
  const getText = (): string => observer.getText(seriesId, textOptions)
  const text = useSyncExternalStore(observer.subscribe, getText, getText)
  return current ? text : ''
}
