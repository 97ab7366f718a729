// useTaskEvents: a thin useSyncExternalStore binding over @taskcast/client's TaskStreamObserver.
// All stream logic (reconnect, resume, batching, when to restart) lives in the observer; this
// file only binds its snapshot.
import {
  idleTaskStreamState,
  type ReconnectOptions,
  type SeriesFormat,
  type SubscribeFilter,
  type TaskStreamState,
  type TokenSource,
} from '@taskcast/client'
import { useSyncExternalStore } from 'react'
import { useTaskStreamObserver } from './use-task-stream-observer.js'

export interface UseTaskEventsOptions {
  /** The Taskcast server, e.g. `http://localhost:3721`. */
  baseUrl: string
  /**
   * Bearer token, or a function returning it. Read at each (re)connection: a new token
   * does not restart the stream, it is used the next time one is opened.
   */
  token?: TokenSource
  /** Compared by value: an inline object literal is fine. */
  filter?: SubscribeFilter
  /** @defaultValue 'delta' */
  seriesFormat?: SeriesFormat
  /** `false` keeps the hook idle (no connection). @defaultValue true */
  enabled?: boolean
  /** Read at each request, like `token`. @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch
  /** Compared by value. */
  reconnect?: ReconnectOptions
}

/**
 * The events of a task as they arrive, whether it is done, its status and, while it is blocked,
 * the question it waits on (`request`). Idle (no connection, empty
 * state) while `taskId` is null or undefined or `enabled` is false. A new task, filter or
 * base URL closes the old stream and starts from an empty state; unmounting closes it.
 * Events arriving together (one network chunk) make one new state, hence one render, and
 * the cost of each event does not grow with the stream's length.
 *
 * `TData` types `events[i].data`; it defaults to `any` so that JSX such as `e.data.text`
 * compiles without a cast, as in the README.
 *
 * @example
 * const { events, isDone, doneReason, error, status, request } = useTaskEvents(taskId, {
 *   baseUrl: 'http://localhost:3721',
 *   filter: { types: ['llm.*'] },
 * })
 */
export function useTaskEvents<TData = any>(
  taskId: string | null | undefined,
  options: UseTaskEventsOptions,
): TaskStreamState<TData> {
  const { observer, current } = useTaskStreamObserver<TData>(taskId, options)
  const state = useSyncExternalStore(observer.subscribe, observer.getSnapshot, observer.getSnapshot)
  return current ? state : idleTaskStreamState
}
