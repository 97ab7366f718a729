// A task's log read and positioned for one reader before its subscription starts: the cursor is
// checked (an unknown `since.id` throws here, while an HTTP answer can still say so) and the
// replay is ready, so that a connect reads the log once.
import { FilteredStream } from '../filtered-stream.js'
import { readLog, type ReadResult } from '../read-log.js'
import type { SubscribeFilter, Task, TaskEvent } from '../types.js'
import type { SubscriptionOptions } from './subscription.js'

export interface PreparedReplay {
  task: Task
  /** Positioned after the log, ready for live events. */
  stream: FilteredStream
  /** What the reader gets of the log, after its cursor. */
  items: ReadResult['items']
  /** `limit` cut the replay short. */
  truncated: boolean
}

/** @throws TaskcastError `VALIDATION_ERROR` when `filter.since.id` is not in `events` */
export function prepareReplay(task: Task, events: readonly TaskEvent[], filter: SubscribeFilter, options: SubscriptionOptions): PreparedReplay {
  const collapse = options.collapseSeries !== false && !filter.since
  const stream = new FilteredStream(filter, { seriesFormat: options.seriesFormat, trackSeries: collapse })
  const { items, truncated } = readLog(stream, events, { since: filter.since, limit: options.limit, collapse })
  return { task, stream, items, truncated }
}
