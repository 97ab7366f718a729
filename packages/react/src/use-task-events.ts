// useTaskEvents: a thin useSyncExternalStore binding over @taskcast/client's TaskStreamObserver.
// All stream logic (reconnect, resume, batching) lives in the observer; this file only decides
// when a new observer is needed (task, filter by value, base URL) and what idle looks like.
import {
  idleTaskStreamState,
  TaskcastClient,
  TaskStreamObserver,
  type ReconnectOptions,
  type SeriesFormat,
  type SubscribeFilter,
  type TaskStreamState,
  type TokenSource,
} from '@taskcast/client'
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import { stableKey } from './stable-key.js'

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

const subscribeNothing = (): (() => void) => () => {}
const getIdleState = (): TaskStreamState<never> => idleTaskStreamState

/**
 * The events of a task as they arrive, and whether it is done. Idle (no connection, empty
 * state) while `taskId` is null or undefined or `enabled` is false. A new task, filter or
 * base URL closes the old stream and starts from an empty state; unmounting closes it.
 *
 * `TData` types `events[i].data`; it defaults to `any` so that JSX such as `e.data.text`
 * compiles without a cast, as in the README.
 *
 * @example
 * const { events, isDone, doneReason, error } = useTaskEvents(taskId, {
 *   baseUrl: 'http://localhost:3721',
 *   filter: { types: ['llm.*'] },
 * })
 */
export function useTaskEvents<TData = any>(
  taskId: string | null | undefined,
  options: UseTaskEventsOptions,
): TaskStreamState<TData> {
  const { baseUrl, filter, seriesFormat, enabled = true, reconnect } = options
  // Token and fetch change identity freely (inline arrows, refreshed JWTs): read the latest
  // ones at connection time instead of restarting the stream for each.
  const latest = useRef(options)
  useEffect(() => {
    latest.current = options
  })

  const reconnectKey = stableKey(reconnect)
  const client = useMemo(
    () =>
      new TaskcastClient({
        baseUrl,
        token: () => {
          const { token } = latest.current
          return typeof token === 'function' ? token() : token
        },
        fetch: (input, init) => {
          const custom = latest.current.fetch
          return custom ? custom(input, init) : globalThis.fetch(input, init)
        },
        ...(reconnect !== undefined && { reconnect }),
      }),
    // `reconnect` is compared by value, through its key.
    [baseUrl, reconnectKey],
  )

  const filterKey = stableKey(filter)
  const observer = useMemo(
    () =>
      enabled && taskId != null
        ? new TaskStreamObserver<TData>(client, taskId, {
            ...(filter !== undefined && { filter }),
            ...(seriesFormat !== undefined && { seriesFormat }),
          })
        : undefined,
    // `filter` is compared by value, through its key.
    [client, enabled, taskId, filterKey, seriesFormat],
  )

  const getSnapshot = (observer?.getSnapshot ?? getIdleState) as () => TaskStreamState<TData>
  return useSyncExternalStore(observer?.subscribe ?? subscribeNothing, getSnapshot, getSnapshot)
}
