// The text of an accumulate series (SPEC §4) rebuilt from envelopes in delta format: a
// late-join snapshot (`seriesSnapshot: true`) replaces the text, each delta after it appends.
import type { SSEEnvelope } from '@taskcast/core'

export interface AccumulateTextOptions {
  /**
   * The accumulated field in the events' data. Envelopes do not carry `seriesAccField`, so
   * pass it when the producer set one; by default each event's `delta`, else its `text`
   * (the order the server resolves it in).
   */
  field?: string
}

function textOf(data: unknown, field: string | undefined): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const record = data as Record<string, unknown>
  const value = field !== undefined ? record[field] : typeof record.delta === 'string' ? record.delta : record.text
  return typeof value === 'string' ? value : undefined
}

/**
 * Appends one envelope to `text` when it belongs to `seriesId`; returns `text` unchanged
 * otherwise. Expects the default `seriesFormat: 'delta'`.
 */
export function appendSeriesText(
  text: string,
  envelope: Pick<SSEEnvelope, 'seriesId' | 'seriesSnapshot' | 'data'>,
  seriesId: string,
  options: AccumulateTextOptions = {},
): string {
  if (envelope.seriesId !== seriesId) return text
  const piece = textOf(envelope.data, options.field)
  if (piece === undefined) return text
  return envelope.seriesSnapshot ? piece : text + piece
}

/**
 * The accumulated text of `seriesId` over `envelopes`.
 * @example
 * accumulateText(state.events, 'response') // 'Once upon a time...'
 */
export function accumulateText(
  envelopes: Iterable<Pick<SSEEnvelope, 'seriesId' | 'seriesSnapshot' | 'data'>>,
  seriesId: string,
  options: AccumulateTextOptions = {},
): string {
  let text = ''
  for (const envelope of envelopes) text = appendSeriesText(text, envelope, seriesId, options)
  return text
}
