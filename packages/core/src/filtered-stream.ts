// Turns a task's raw event log into what one reader sees: filtered, numbered, in its series format.
// The same object walks history and then live events, which is what keeps filteredIndex stable.
import { compileFilter, selectsEveryEvent, type EventPredicate } from './filter.js'
import { SeriesAccumulator } from './series.js'
import { isTerminalStatus } from './state-machine.js'
import type { EventFilter, SeriesFormat, StatusEventData, TaskEvent, TaskStatus } from './types.js'
import { STATUS_EVENT_TYPE } from './types.js'

export interface FilteredStreamOptions {
  seriesFormat?: SeriesFormat
  /** Track running values even in delta format (needed to build late-join snapshots). */
  trackSeries?: boolean
}

/** A matching event with its position in the reader's filtered sequence. */
export interface FilteredEvent {
  event: TaskEvent
  filteredIndex: number
  /** The event's data in the reader's series format. */
  data: unknown
}

/** The terminal status a `taskcast:status` event announces, if any. */
export function terminalStatusOf(event: TaskEvent): TaskStatus | undefined {
  if (event.type !== STATUS_EVENT_TYPE) return undefined
  const status = (event.data as StatusEventData | null)?.status
  return status !== undefined && isTerminalStatus(status) ? status : undefined
}

export class FilteredStream {
  private readonly matches_: EventPredicate
  /** Created with the first accumulate event: most readers never see one. */
  private accumulator: SeriesAccumulator | undefined
  private readonly tracksSeries: boolean
  private readonly accumulated: boolean
  /** The filter lets every event through: a reader's filteredIndex is then the event's position in the log. */
  private readonly selectsAll: boolean
  /** Matching events seen so far, placeholders included: the next filteredIndex. */
  filteredCount = 0
  /** Raw index the next event must have. */
  nextIndex = 0
  /** Id of the event at `nextIndex - 1`: a later read of the log must still have it there. */
  lastId: string | undefined
  /** Set once a terminal status event went by. */
  doneStatus: TaskStatus | undefined
  /** Matching events numbered below this are not given: the reader's `since.index` says it has them. */
  private givenFrom = 0

  constructor(filter: EventFilter = {}, options: FilteredStreamOptions = {}) {
    this.matches_ = compileFilter(filter)
    this.selectsAll = selectsEveryEvent(filter)
    this.accumulated = options.seriesFormat === 'accumulated'
    this.tracksSeries = this.accumulated || options.trackSeries === true
  }

  /** Feeds the next raw event; returns it when the reader should see it. */
  accept(event: TaskEvent): FilteredEvent | undefined {
    this.nextIndex = event.index + 1
    this.lastId = event.id
    const running =
      this.tracksSeries && event.seriesMode === 'accumulate' ? (this.accumulator ??= new SeriesAccumulator()).add(event) : undefined
    this.doneStatus ??= terminalStatusOf(event)
    if (!this.matches_(event)) return undefined
    const filteredIndex = this.filteredCount++
    if (event.superseded || filteredIndex < this.givenFrom) return undefined
    return { event, filteredIndex, data: this.accumulated && running !== undefined ? running : event.data }
  }

  /**
   * Gives nothing numbered up to `filteredIndex`, live events included: a cursor ahead of the
   * log (a reader claiming events not stored yet) must not get them again when they come.
   */
  startAfter(filteredIndex: number): void {
    this.givenFrom = filteredIndex + 1
  }

  /** Whether `pass` may stand in for `accept`: nothing is lost by not looking at each event's data. */
  get canPass(): boolean {
    return !this.tracksSeries
  }

  /**
   * Counts `count` events as gone by without seeing them: the part of the log before a read
   * that started at that position. Only for a filter that lets every event through (its
   * filteredIndex is a position) and when `canPass`; the next event must then be passed too,
   * to set where the stream is.
   */
  assumePassed(count: number): void {
    if (!this.selectsAll || this.tracksSeries) throw new Error('assumePassed needs a filter that selects every event and no series values')
    this.filteredCount += count
  }

  /**
   * Goes over `log[from, to)` as `accept` would, giving nothing: the events lie before the
   * reader's cursor. Without a filter, only the last event is looked at. Only when `canPass`.
   */
  pass(log: readonly TaskEvent[], from: number, to: number): void {
    if (to <= from) return
    if (this.selectsAll) this.filteredCount += to - from
    else {
      for (let i = from; i < to; i++) {
        const event = log[i]!
        if (this.matches_(event)) this.filteredCount++
      }
    }
    this.passed(log[to - 1]!)
  }

  /**
   * Goes over `log` from `from` until `count` events matched the filter in all (a
   * `since.index` of count − 1), giving nothing; returns the position after the last one passed.
   */
  passMatching(log: readonly TaskEvent[], from: number, count: number): number {
    if (this.selectsAll) {
      const to = Math.min(log.length, from + Math.max(0, count - this.filteredCount))
      this.pass(log, from, to)
      return to
    }
    let at = from
    while (at < log.length && this.filteredCount < count) {
      if (this.matches_(log[at]!)) this.filteredCount++
      at++
    }
    if (at > from) this.passed(log[at - 1]!)
    return at
  }

  /**
   * A terminal status is the last event a task gets, so only the last event passed can be one.
   */
  private passed(last: TaskEvent): void {
    this.nextIndex = last.index + 1
    this.lastId = last.id
    this.doneStatus ??= terminalStatusOf(last)
  }

  /** Whether the reader's filter selects `event` (regardless of cursors). */
  matches(event: TaskEvent): boolean {
    return this.matches_(event)
  }

  seriesValue(seriesId: string): unknown {
    return this.accumulator?.get(seriesId)
  }
}
