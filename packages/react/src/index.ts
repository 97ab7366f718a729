// @taskcast/react — React hooks over @taskcast/client's task stream observer.
export { useTaskEvents } from './use-task-events.js'
export type { UseTaskEventsOptions } from './use-task-events.js'
export { useTaskText } from './use-task-text.js'
export type { UseTaskTextOptions } from './use-task-text.js'
export type { TaskStreamState, TaskEnvelope } from '@taskcast/client'
