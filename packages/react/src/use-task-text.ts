// useTaskText: the accumulated text of one accumulate series, right after a reload too
// (the late-join snapshot replaces the text, the deltas after it append).
import { accumulateText, type AccumulateTextOptions } from '@taskcast/client'
import { useMemo } from 'react'
import { useTaskEvents, type UseTaskEventsOptions } from './use-task-events.js'

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
  const { events } = useTaskEvents(taskId, streamOptions)
  return useMemo(
    () => accumulateText(events, seriesId, field !== undefined ? { field } : {}),
    [events, seriesId, field],
  )
}
