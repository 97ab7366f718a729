// Turns a task's raw event log into what one reader sees: filtered, numbered, in its series format.
// The same object walks history and then live events, which is what keeps filteredIndex stable.
import { compileFilter, type EventPredicate } from './filter.js'
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
  /** Matching events seen so far, placeholders included: the next filteredIndex. */
  filteredCount = 0
  /** Raw index the next event must have. */
  nextIndex = 0
  /** Id of the event at `nextIndex - 1`: a later read of the log must still have it there. */
  lastId: string | undefined
  /** Set once a terminal status event went by. */
  doneStatus: TaskStatus | undefined

  constructor(filter: EventFilter = {}, options: FilteredStreamOptions = {}) {
    this.matches_ = compileFilter(filter)
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
    if (event.superseded) return undefined
    return { event, filteredIndex, data: this.accumulated && running !== undefined ? running : event.data }
  }

  /** Whether the reader's filter selects `event` (regardless of cursors). */
  matches(event: TaskEvent): boolean {
    return this.matches_(event)
  }

  seriesValue(seriesId: string): unknown {
    return this.accumulator?.get(seriesId)
  }
}
