// The status-only filter that waits and cancellation watches subscribe with: it admits every
// status event and no user event, on the server's filter and through the query codec alike.
import { describe, expect, it } from 'vitest'
import { compileFilter } from '../src/filter.js'
import { LEVELS, STATUS_EVENT_TYPE } from '../src/types.js'
import { parseSubscribeQuery, statusOnlyFilter, toSubscribeSearchParams } from '../src/wire/index.js'

describe('statusOnlyFilter', () => {
  it('admits status events at every level and no user event, even after the query codec', () => {
    const sent = parseSubscribeQuery(toSubscribeSearchParams({ filter: statusOnlyFilter() })).filter
    expect(sent).toEqual({ types: [STATUS_EVENT_TYPE], includeStatus: true })
    const admits = compileFilter(sent)
    for (const level of LEVELS) expect(admits({ type: STATUS_EVENT_TYPE, level })).toBe(true)
    for (const type of ['llm.delta', 'taskcast', 'status', '*', 'taskcast:statusx']) {
      expect(admits({ type, level: 'info' })).toBe(false)
    }
  })

  it('gives a new object each time, so a caller may add its own cursor', () => {
    const first = statusOnlyFilter()
    first.since = { id: 'x' }
    expect(statusOnlyFilter()).toEqual({ types: [STATUS_EVENT_TYPE], includeStatus: true })
  })
})
