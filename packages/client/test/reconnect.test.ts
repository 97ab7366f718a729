// Reconnect and resume over a TCP proxy that breaks connections: the application must see the
// full sequence once, in order, however and wherever the stream is cut.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { TaskcastClient } from '../src/index.js'
import { startCuttingProxy, type CuttingProxy } from './support/cutting-proxy.js'
import { deltas, record } from './support/recorder.js'
import { runningTask, startTaskcastServer, type TestServer } from './support/taskcast-server.js'

let server: TestServer
let proxy: CuttingProxy
beforeAll(async () => {
  server = await startTaskcastServer()
})
afterAll(() => server.close())
beforeEach(async () => {
  proxy = await startCuttingProxy(server.port)
})
afterEach(() => proxy.close())

const fast = { initialDelayMs: 5, maxDelayMs: 50 }

function eventsQuery(request: string): URLSearchParams {
  return new URL(request, 'http://x').searchParams
}

describe('reconnect', () => {
  it('resumes after a dropped TCP connection with since.id of the last delivered event', async () => {
    const client = new TaskcastClient({ baseUrl: proxy.url, reconnect: fast })
    const taskId = await runningTask(server.engine)
    const rec = record(client, taskId, { filter: { types: ['llm.*'], since: { index: 0 } } })
    await server.engine.publishEvents(taskId, deltas(50))
    await rec.received(50)
    const lastBeforeCut = rec.events.at(-1)!.eventId

    proxy.cutAll()
    // Published while the client is cut off or reconnecting: they must come from the resume.
    await server.engine.publishEvents(taskId, deltas(50, 50))
    await server.engine.transitionTask(taskId, 'completed')

    expect(await rec.ended).toEqual({ done: 'completed' })
    const deltaTexts = rec.events.filter((e) => e.type === 'llm.delta').map((e) => (e.data as { text: string }).text)
    expect(deltaTexts).toEqual(Array.from({ length: 100 }, (_, i) => `d${i};`))
    // since.index 0 skips the running status (filteredIndex 0): 1…100 are the deltas, 101 the completion.
    expect(rec.events.map((e) => e.filteredIndex)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1))
    expect(proxy.requests).toHaveLength(2)
    expect(eventsQuery(proxy.requests[0]!).get('since.index')).toBe('0')
    expect([...eventsQuery(proxy.requests[1]!).entries()]).toEqual([
      ['types', 'llm.*'],
      ['since.id', lastBeforeCut],
    ])
  })

  it('sees the full sequence once when every connection is cut after 2 KB, in the middle of frames', async () => {
    const client = new TaskcastClient({ baseUrl: proxy.url, reconnect: fast })
    const taskId = await runningTask(server.engine)
    await server.engine.publishEvents(taskId, deltas(150))
    proxy.limitEachConnection(2048)
    // `since` makes the replay deltas rather than one snapshot, so there is a lot to cut.
    const rec = record(client, taskId, { filter: { since: { index: 0 } } })
    await rec.received(75)
    await server.engine.publishEvents(taskId, deltas(150, 150))
    await server.engine.transitionTask(taskId, 'completed')

    expect(await rec.ended).toEqual({ done: 'completed' })
    expect(rec.events.map((e) => e.rawIndex)).toEqual(Array.from({ length: 301 }, (_, i) => i + 1))
    const text = rec.events.map((e) => (e.data as { text?: string }).text ?? '').join('')
    expect(text).toBe(Array.from({ length: 300 }, (_, i) => `d${i};`).join(''))
    // Each connection carried a few frames at most: many resumes happened.
    expect(proxy.requests.length).toBeGreaterThan(20)
    for (const request of proxy.requests.slice(1)) expect(eventsQuery(request).get('since.id')).toMatch(/^[0-9A-Z]{26}$/)
  })

  it('reconnects when a connection goes silent past idleTimeoutMs (half-open link)', async () => {
    const client = new TaskcastClient({ baseUrl: proxy.url, reconnect: { ...fast, idleTimeoutMs: 300 } })
    const taskId = await runningTask(server.engine)
    const rec = record(client, taskId)
    await rec.received(1)
    proxy.stallOpenConnections()
    await server.engine.publishEvent(taskId, { type: 'while-stalled', data: 1 })
    await rec.received(2)
    await server.engine.transitionTask(taskId, 'completed')
    expect(await rec.ended).toEqual({ done: 'completed' })
    expect(rec.events.map((e) => e.type)).toEqual(['taskcast:status', 'while-stalled', 'taskcast:status'])
    expect(proxy.requests).toHaveLength(2)
  })

  it('gives a late joiner the snapshot then the rest', async () => {
    const client = new TaskcastClient({ baseUrl: proxy.url, reconnect: fast })
    const taskId = await runningTask(server.engine)
    await server.engine.publishEvents(taskId, deltas(20))
    const rec = record(client, taskId, { filter: { includeStatus: false } })
    await rec.received(1)
    proxy.cutAll()
    await server.engine.publishEvents(taskId, deltas(5, 20))
    await server.engine.transitionTask(taskId, 'completed')
    expect(await rec.ended).toEqual({ done: 'completed' })
    expect(rec.events[0]).toMatchObject({ seriesSnapshot: true, data: { text: deltas(20).map((d) => d.data.text).join('') } })
    expect(rec.events.slice(1).map((e) => (e.data as { text: string }).text)).toEqual(['d20;', 'd21;', 'd22;', 'd23;', 'd24;'])
    expect(proxy.requests).toHaveLength(2)
  })
})
