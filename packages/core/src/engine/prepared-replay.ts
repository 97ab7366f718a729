// A task's log positioned for one reader before its subscription starts: the cursor is checked
// (an unknown `since.id` throws here, while an HTTP answer can still say so) and the first item
// is found, so that a connect reads the log once and knows whether anything follows the cursor.
// The rest is taken an item at a time as the reader's socket drains: the log itself may be
// shared by every reader of the task (see `TaskEngine`'s shared log reads).
import { FilteredStream } from '../filtered-stream.js'
import { LogReader, type ReadItem } from '../read-log.js'
import type { SubscribeFilter, Task, TaskEvent } from '../types.js'
import type { SubscriptionOptions } from './subscription.js'

export class PreparedReplay {
  /** Positioned after the log once `next()` has answered `undefined`, ready for live events. */
  readonly stream: FilteredStream
  private readonly reader: LogReader
  private peeked: ReadItem | undefined

  /**
   * `offset`: the position of `events[0]` in the task's log, when `events` is its end (see `ReadOptions`).
   * @throws TaskcastError `VALIDATION_ERROR` when `filter.since.id` is not in `events`
   */
  constructor(
    readonly task: Task,
    events: readonly TaskEvent[],
    filter: SubscribeFilter,
    options: SubscriptionOptions,
    offset = 0,
  ) {
    const collapse = options.collapseSeries !== false && !filter.since
    this.stream = new FilteredStream(filter, { seriesFormat: options.seriesFormat, trackSeries: collapse })
    this.reader = new LogReader(this.stream, events, { since: filter.since, limit: options.limit, collapse, offset })
    this.peeked = this.reader.next()
  }

  /** Nothing of the log follows the reader's cursor (and `limit` did not cut it). */
  get empty(): boolean {
    return this.peeked === undefined && !this.reader.truncated
  }

  /** `limit` cut the replay short; known once `next()` has answered `undefined`. */
  get truncated(): boolean {
    return this.reader.truncated
  }

  /** The reader's next replayed item, or `undefined` at the end of the replay. */
  next(): ReadItem | undefined {
    const item = this.peeked ?? this.reader.next()
    this.peeked = undefined
    return item
  }
}
