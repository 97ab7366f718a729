// Rebuilding an accumulate series' text from envelopes: snapshots replace, deltas append.
import { describe, expect, it } from 'vitest'
import { accumulateText, appendSeriesText } from '../src/accumulate-text.js'

describe('accumulateText', () => {
  it('appends the deltas of the series, using delta before text', () => {
    const events = [
      { seriesId: 'out', data: { text: 'Once ' } },
      { seriesId: 'other', data: { text: 'ignored' } },
      { seriesId: 'out', data: { delta: 'upon ', text: 'not this' } },
      { data: { text: 'no series' } },
      { seriesId: 'out', data: { text: 'a time' } },
    ]
    expect(accumulateText(events, 'out')).toBe('Once upon a time')
  })

  it('restarts from a late-join snapshot, then appends the deltas after it', () => {
    const events = [
      { seriesId: 'out', data: { text: 'stale' } },
      { seriesId: 'out', seriesSnapshot: true, data: { text: 'Once upon' } },
      { seriesId: 'out', data: { text: ' a time' } },
    ]
    expect(accumulateText(events, 'out')).toBe('Once upon a time')
  })

  it('reads the field the caller names (the producer set seriesAccField)', () => {
    const events = [
      { seriesId: 'out', data: { content: 'a', text: 'x' } },
      { seriesId: 'out', data: { content: 'b', delta: 'y' } },
    ]
    expect(accumulateText(events, 'out', { field: 'content' })).toBe('ab')
  })

  it('skips events whose data has no string to append', () => {
    const events = [
      { seriesId: 'out', data: 'bare string' },
      { seriesId: 'out', data: null },
      { seriesId: 'out', data: { text: 42 } },
      { seriesId: 'out', data: { text: 'ok' } },
    ]
    expect(accumulateText(events, 'out')).toBe('ok')
  })

  it('lets a caller fold incrementally with appendSeriesText', () => {
    let text = ''
    text = appendSeriesText(text, { seriesId: 's', data: { delta: 'a' } }, 's')
    text = appendSeriesText(text, { seriesId: 's', data: { delta: 'b' } }, 's')
    expect(text).toBe('ab')
  })
})
