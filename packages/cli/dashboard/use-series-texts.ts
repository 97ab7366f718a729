// The accumulated text of each `accumulate` series of a task, folded from its events one event
// at a time: a render reads only the events that arrived since the last one.
import { appendSeriesText, type TaskEnvelope } from '@taskcast/client'
import { useRef } from 'react'

interface Fold {
  /** The first event folded: another one means another stream, folded from the start. */
  first: string | undefined
  folded: number
  texts: Map<string, string>
}

/** `[seriesId, text]` for each accumulate series, in the order each began. */
export function useSeriesTexts(events: readonly TaskEnvelope[]): Array<[string, string]> {
  const fold = useRef<Fold>({ first: undefined, folded: 0, texts: new Map() })
  let state = fold.current
  // A stream's events only ever grow; fewer, or another first one, is a new stream.
  if (events.length < state.folded || (state.folded > 0 && events[0]?.eventId !== state.first)) {
    state = fold.current = { first: undefined, folded: 0, texts: new Map() }
  }
  for (let index = state.folded; index < events.length; index++) {
    const event = events[index]!
    if (event.seriesMode !== 'accumulate' || event.seriesId === undefined) continue
    const field = event.seriesAccField !== undefined ? { field: event.seriesAccField } : {}
    state.texts.set(event.seriesId, appendSeriesText(state.texts.get(event.seriesId) ?? '', event, event.seriesId, field))
  }
  state.first = events[0]?.eventId
  state.folded = events.length
  return [...state.texts]
}
