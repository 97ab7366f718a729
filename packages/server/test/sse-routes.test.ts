// The SSE route's query handling through app.request(): filters, formats, wrap=false, limit.
import type { SSEEnvelope } from '@taskcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastApp } from '../src/index.js'
import { makeEngine } from './harness.js'
import { SseReader } from './sse-reader.js'

const apps: TaskcastApp[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

async function finishedTask() {
  const harness = makeEngine()
  const app = createTaskcastApp({ engine: harness.engine })
  apps.push(app)
  const { engine } = harness
  await engine.createTask({ id: 't' })
  await engine.transitionTask('t', 'running')
  await engine.publishEvents('t', [
    { type: 'llm.delta', data: { text: 'Hel' }, seriesId: 'answer', seriesMode: 'accumulate' },
    { type: 'tool.call', level: 'debug', data: 'line one\nline two' },
    { type: 'llm.delta', data: { text: 'lo' }, seriesId: 'answer', seriesMode: 'accumulate' },
    { type: 'log', level: 'warn', data: 42 },
  ])
  await engine.transitionTask('t', 'completed')
  return { ...harness, app }
}

async function stream(app: TaskcastApp, query: string, headers: Record<string, string> = {}) {
  const response = await app.request(`/tasks/t/events${query}`, { headers })
  expect(response.status).toBe(200)
  return new SseReader(response)
}

describe('SSE query handling', () => {
  it('replays a late join without a cursor with each accumulate series collapsed into a snapshot', async () => {
    const { app } = await finishedTask()
    const { envelopes } = await (await stream(app, '')).readUntilDone()
    expect(envelopes.map((e) => [e.filteredIndex, e.rawIndex, e.type, e.data, e.seriesSnapshot])).toEqual([
      [0, 0, 'taskcast:status', { status: 'running', previousStatus: 'pending' }, undefined],
      [2, 2, 'tool.call', 'line one\nline two', undefined],
      [3, 3, 'llm.delta', { text: 'Hello' }, true],
      [4, 4, 'log', 42, undefined],
      [5, 5, 'taskcast:status', { status: 'completed', previousStatus: 'running' }, undefined],
    ])
  })

  it('filters by types and levels, leaves status events to includeStatus', async () => {
    const { app } = await finishedTask()
    const typed = await (await stream(app, '?types=llm.*,log&since.index=0')).readUntilDone()
    expect(typed.envelopes.map((e) => [e.filteredIndex, e.type])).toEqual([
      [1, 'llm.delta'],
      [2, 'llm.delta'],
      [3, 'log'],
      [4, 'taskcast:status'],
    ])
    const leveled = await (await stream(app, '?levels=debug,warn&includeStatus=false')).readUntilDone()
    expect(leveled.envelopes.map((e) => [e.filteredIndex, e.type])).toEqual([
      [0, 'tool.call'],
      [1, 'log'],
    ])
  })

  it('gives running values with seriesFormat=accumulated and no collapse after a cursor', async () => {
    const { app } = await finishedTask()
    const { envelopes } = await (await stream(app, '?types=llm.*&includeStatus=false&seriesFormat=accumulated&since.timestamp=0')).readUntilDone()
    expect(envelopes.map((e) => e.data)).toEqual([{ text: 'Hel' }, { text: 'Hello' }])
  })

  it('sends bare data with wrap=false, one data line per line of a string', async () => {
    const { app } = await finishedTask()
    const reader = await stream(app, '?wrap=false&types=tool.call,log&includeStatus=false')
    const frames = await reader.readToEnd()
    expect(frames).toEqual([
      { event: 'taskcast.event', id: frames[0]!.id, data: 'line one\nline two' },
      { event: 'taskcast.event', id: frames[1]!.id, data: '42' },
      { event: 'taskcast.done', data: '{"reason":"completed"}' },
    ])
  })

  it('caps the replay with limit and then ends without a done frame', async () => {
    const { app, broadcast } = await finishedTask()
    const frames = await (await stream(app, '?limit=2&since.index=0')).readToEnd()
    expect(frames.map((f) => [f.event, (JSON.parse(f.data!) as SSEEnvelope).rawIndex])).toEqual([
      ['taskcast.event', 1],
      ['taskcast.event', 2],
    ])
    expect(broadcast.listenerCount('t')).toBe(0)
    // The next page resumes from the last delivered event.
    const next = await (await stream(app, '?limit=2', { 'Last-Event-ID': (JSON.parse(frames[1]!.data!) as SSEEnvelope).eventId })).readToEnd()
    expect(next.map((f) => (JSON.parse(f.data!) as SSEEnvelope).rawIndex)).toEqual([3, 4])
  })

  it('honours Last-Event-ID over the cursor in the URL', async () => {
    const { app, engine } = await finishedTask()
    const events = await engine.getEvents('t')
    const { envelopes } = await (await stream(app, '?since.index=0', { 'Last-Event-ID': events[3]!.id })).readUntilDone()
    expect(envelopes.map((e) => e.rawIndex)).toEqual([4, 5])
  })

  it('answers HEAD with the stream headers and opens no subscription', async () => {
    const { app, engine, broadcast } = await finishedTask()
    await engine.createTask({ id: 'p' })
    const response = await app.request('/tasks/p/events', { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    expect(await response.text()).toBe('')
    expect(engine.subscriptionCount).toBe(0)
    expect(broadcast.listenerCount('p')).toBe(0)
    expect((await app.request('/tasks/none/events', { method: 'HEAD' })).status).toBe(404)
  })
})
