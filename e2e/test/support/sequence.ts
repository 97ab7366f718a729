// Exactness of delivery: a subscriber's record against the task's log, counted as lost,
// duplicated, out-of-order and unexpected events, plus the one-line summary per scenario.
import type { TaskEvent } from '@taskcast/core'
import { expect } from 'vitest'
import type { RecordingSubscriber } from './recording-subscriber.js'

export interface DeliveryCounts {
  /** Events of the log the application never received. */
  lost: number
  /** Frames that came over the wire (or to the application) more than once. */
  duplicated: number
  /** Frames that arrived after a frame with a higher index (first arrivals only). */
  outOfOrder: number
  /** Events received that are not in the log, or that differ from it (id, type, data). */
  unexpected: number
}

export const EXACT: DeliveryCounts = { lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0 }

/** Compares one subscriber's record with the log (the history, as the store holds it). */
export function countDelivery(log: readonly TaskEvent[], subscriber: RecordingSubscriber): DeliveryCounts {
  const byIndex = new Map(log.map((event) => [event.index, event]))
  const seen = new Set<number>()
  let duplicated = 0
  let outOfOrder = 0
  let unexpected = 0
  let highest = -1
  for (const envelope of subscriber.delivered) {
    const event = byIndex.get(envelope.rawIndex)
    if (
      !event ||
      event.id !== envelope.eventId ||
      event.type !== envelope.type ||
      JSON.stringify(event.data) !== JSON.stringify(envelope.data)
    ) {
      unexpected++
    }
    if (seen.has(envelope.rawIndex)) duplicated++
    else if (envelope.rawIndex < highest) outOfOrder++
    seen.add(envelope.rawIndex)
    highest = Math.max(highest, envelope.rawIndex)
  }
  const lost = log.filter((event) => !seen.has(event.index)).length

  // On the wire, across reconnects: what the server sent, before the client's own guard.
  const onWire = new Set<number>()
  let wireHighest = -1
  for (const index of subscriber.wire) {
    if (onWire.has(index)) duplicated++
    else if (index < wireHighest) outOfOrder++
    onWire.add(index)
    wireHighest = Math.max(wireHighest, index)
  }
  // Everything delivered came over the wire; if not, the tap (not the server) is broken.
  const untapped = subscriber.delivered.filter((envelope) => !onWire.has(envelope.rawIndex)).length
  if (untapped > 0) throw new Error(`the wire tap missed ${untapped} frames the client delivered`)
  return { lost, duplicated, outOfOrder, unexpected }
}

/** Sums the counts of several subscribers. */
export function sumCounts(counts: readonly DeliveryCounts[]): DeliveryCounts {
  return counts.reduce(
    (sum, c) => ({
      lost: sum.lost + c.lost,
      duplicated: sum.duplicated + c.duplicated,
      outOfOrder: sum.outOfOrder + c.outOfOrder,
      unexpected: sum.unexpected + c.unexpected,
    }),
    { ...EXACT },
  )
}

/**
 * Asserts that every subscriber received exactly the log, in order, once; returns the summed
 * counts. The first subscriber that differs is named with its first differing position, so a
 * failure reads as "subscriber 17: at position 2501 expected index 2501, got 2502".
 */
export function expectExactDelivery(log: readonly TaskEvent[], subscribers: readonly RecordingSubscriber[]): DeliveryCounts {
  const counts = subscribers.map((subscriber) => countDelivery(log, subscriber))
  const total = sumCounts(counts)
  let detail = 'every subscriber received exactly the log'
  const firstBad = counts.findIndex((c) => c.lost + c.duplicated + c.outOfOrder + c.unexpected > 0)
  if (firstBad >= 0) {
    const got = subscribers[firstBad]!.delivered.map((envelope) => envelope.rawIndex)
    const at = log.findIndex((event, i) => got[i] !== event.index)
    detail =
      `subscriber ${firstBad} (of ${subscribers.length}) ${JSON.stringify(counts[firstBad])}: at position ${at} ` +
      `expected index ${log[at]?.index}, got ${got[at]}; wire frames ${subscribers[firstBad]!.wire.length}, log ${log.length}`
  }
  expect(total, detail).toEqual(EXACT)
  return total
}

/**
 * The log holds the published user events exactly once each and in publish order: their `data.n`
 * is 0, 1, …, count - 1 (status events aside). Returns how many were lost and duplicated.
 */
export function expectPublishedOnce(log: readonly TaskEvent[], count: number, type: string): { lost: number; duplicated: number } {
  const ns = log.filter((event) => event.type === type).map((event) => (event.data as { n: number }).n)
  const distinct = new Set(ns)
  const counts = {
    lost: Array.from({ length: count }, (_, n) => n).filter((n) => !distinct.has(n)).length,
    duplicated: ns.length - distinct.size,
  }
  expect(counts).toEqual({ lost: 0, duplicated: 0 })
  expect(ns).toEqual(Array.from({ length: count }, (_, n) => n))
  expect(log.map((event) => event.index)).toEqual(log.map((_, i) => i))
  return counts
}

/** One line of JSON per scenario, `E2E-SUMMARY {...}`, for the report to quote. */
export function printSummary(summary: Record<string, unknown>): void {
  console.log(`E2E-SUMMARY ${JSON.stringify(summary)}`)
}
