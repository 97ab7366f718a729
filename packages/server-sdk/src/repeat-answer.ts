// A 200 to a stamped request carries the events an earlier request with the same producer id,
// epoch and seqs stored. Normally that was this producer's own first attempt; if two instances
// publish under the same id and epoch (two that claimed at the same moment, or a restart without
// 'claim'), it was the other one's, and taking it as ours would drop our events unnoticed.
import type { TaskEvent } from '@taskcast/core'

/**
 * Whether every stored event is the one sent in its place (`sent`: each event's JSON). Type and
 * series always; the data unless the store has since dropped it (a superseded `latest` event).
 */
export function isOwnRepeat(sent: readonly string[], stored: readonly TaskEvent[]): boolean {
  if (sent.length !== stored.length) return false
  return sent.every((json, i) => {
    const input = JSON.parse(json) as { type: string; data?: unknown; seriesId?: string }
    const event = stored[i]!
    if (event.type !== input.type || event.seriesId !== input.seriesId) return false
    return event.superseded === true || JSON.stringify(event.data) === JSON.stringify(input.data ?? null)
  })
}
