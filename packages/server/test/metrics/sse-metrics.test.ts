// The open SSE connections gauge follows streams opening and closing; deliveries count every
// envelope written, replayed or live.
import { describe, expect, it } from 'vitest'
import { waitFor } from '../harness.js'
import { SseReader } from '../sse-reader.js'
import { call, onCleanup, runningTask, scrape, start, value } from './metrics-harness.js'

const CONNECTIONS = 'taskcast_sse_connections'
const DELIVERIES = 'taskcast_sse_deliveries_total'

async function open(url: string): Promise<SseReader> {
  const reader = await SseReader.open(url)
  onCleanup(() => reader.cancel())
  expect(reader.response.status).toBe(200)
  return reader
}

async function gaugeIs(url: string, expected: number): Promise<void> {
  await waitFor(async () => value(await scrape(url), CONNECTIONS) === expected, `${CONNECTIONS} ${expected}`)
}

describe('SSE metrics', () => {
  it('counts open streams up and back down, and every envelope delivered', async () => {
    const { url } = await start()
    const task = await runningTask(url)
    // The log: the running status event and two more.
    await call(`${url}/tasks/${task.id}/events`, 'POST', [{ type: 'a' }, { type: 'b' }])
    expect(value(await scrape(url), CONNECTIONS)).toBe(0)

    // Registered before the response starts: counted once the headers are in.
    const first = await open(`${url}/tasks/${task.id}/events`)
    const second = await open(`${url}/tasks/${task.id}/events`)
    expect(value(await scrape(url), CONNECTIONS)).toBe(2)
    for (const reader of [first, second]) for (let i = 0; i < 3; i++) expect((await reader.nextEvent())?.event).toBe('taskcast.event')
    let families = await scrape(url)
    expect(value(families, DELIVERIES, { phase: 'replay' })).toBe(6)
    expect(value(families, DELIVERIES, { phase: 'live' })).toBe(0)

    await call(`${url}/tasks/${task.id}/events`, 'POST', { type: 'c' })
    for (const reader of [first, second]) expect((await reader.nextEvent())?.event).toBe('taskcast.event')
    expect(value(await scrape(url), DELIVERIES, { phase: 'live' })).toBe(2)

    await first.cancel()
    await gaugeIs(url, 1)

    await call(`${url}/tasks/${task.id}/status`, 'PATCH', { status: 'completed' })
    const { envelopes } = await second.readUntilDone()
    expect(envelopes.map((e) => e.type)).toEqual(['taskcast:status'])
    await gaugeIs(url, 0)
    families = await scrape(url)
    expect(value(families, DELIVERIES, { phase: 'replay' })).toBe(6)
    expect(value(families, DELIVERIES, { phase: 'live' })).toBe(3)
  })

  it('counts the streams of each app on its own', async () => {
    const one = await start()
    const other = await start()
    const task = await runningTask(one.url)
    await open(`${one.url}/tasks/${task.id}/events`)
    expect(value(await scrape(one.url), CONNECTIONS)).toBe(1)
    expect(value(await scrape(other.url), CONNECTIONS)).toBe(0)
  })
})
