// Deeply nested JSON over a real socket: anything past the nesting limit is a 400 before
// anything is stored (never a 500), and the deepest value accepted comes back whole through
// every reader: history, SSE (live and replay), the archive and a webhook.
import { MAX_JSON_DEPTH, MemoryBroadcastProvider, MemoryLongTermStore, MemoryShortTermStore, TaskEngine } from '@taskcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createTaskcastApp } from '../src/index.js'
import { json, startServer } from './harness.js'
import { SseReader } from './sse-reader.js'
import { startReceiver } from './webhooks/receiver.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** JSON text of `levels` arrays nested in one another around `leaf`. */
const nestedText = (levels: number, leaf = '"bottom"'): string => `${'['.repeat(levels)}${leaf}${']'.repeat(levels)}`

/** An app over a memory engine with an archive, delivering every event to a webhook receiver. */
async function start() {
  const receiver = await startReceiver()
  const longTermStore = new MemoryLongTermStore()
  const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore(), longTermStore })
  const app = createTaskcastApp({ engine, webhooks: { endpoints: [{ url: receiver.url, retry: { retries: 0 } }] } })
  const server = await startServer(app.fetch)
  cleanups.push(async () => {
    await app.close()
    await server.close()
    await engine.stop()
    await receiver.close()
  })
  return { url: server.url, engine, longTermStore, receiver }
}

describe('deeply nested JSON', () => {
  it('answers 400 VALIDATION_ERROR for 100,000 levels in every field that takes JSON, and stores nothing', async () => {
    const { url, engine } = await start()
    const deep = nestedText(100_000)
    const post = (path: string, body: string, method = 'POST') =>
      fetch(`${url}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body })
    const answers = [
      await post('/tasks', `{"id":"p","params":{"x":${deep}}}`),
      await post('/tasks', `{"id":"m","metadata":{"x":${deep}}}`),
      await post('/tasks', deep),
    ]
    await post('/tasks', '{"id":"t"}')
    await post('/tasks/t/status', '{"status":"running"}', 'PATCH')
    answers.push(
      await post('/tasks/t/events', `{"type":"a","data":${deep}}`),
      await post('/tasks/t/events', `[{"type":"a","data":1},{"type":"b","data":${deep}}]`),
      await post('/tasks/t/events', deep),
      await post('/tasks/t/status', `{"status":"completed","result":{"x":${deep}}}`, 'PATCH'),
      await post('/tasks/t/status', `{"status":"failed","error":{"message":"m","details":{"x":${deep}}}}`, 'PATCH'),
    )
    const outcomes = await Promise.all(answers.map(async (r) => [r.status, ((await r.json()) as { error: { code: string } }).error.code]))
    expect(outcomes).toEqual(Array.from({ length: 8 }, () => [400, 'VALIDATION_ERROR']))
    expect([await engine.getTask('p'), await engine.getTask('m')]).toEqual([null, null])
    expect((await engine.getEvents('t')).map((e) => e.type)).toEqual(['taskcast:status'])
    expect((await engine.getTask('t'))!.status).toBe('running')
  })

  it('reads the deepest accepted event back through history, SSE live and replay, the archive and a webhook', async () => {
    const { url, engine, longTermStore, receiver } = await start()
    const deepest = nestedText(MAX_JSON_DEPTH)
    expect((await fetch(`${url}/tasks`, json({ id: 't' }, { method: 'POST' }))).status).toBe(201)
    expect((await fetch(`${url}/tasks/t/status`, json({ status: 'running' }, { method: 'PATCH' }))).status).toBe(200)
    const live = await SseReader.open(`${url}/tasks/t/events`)
    cleanups.push(() => live.cancel())
    const published = await fetch(`${url}/tasks/t/events`, json(`{"type":"deep","data":${deepest}}`, { method: 'POST' }))
    expect(published.status).toBe(201)
    expect((await fetch(`${url}/tasks/t/status`, json({ status: 'completed' }, { method: 'PATCH' }))).status).toBe(200)

    const expected = JSON.parse(deepest) as unknown
    const fromLive = await live.readUntilDone()
    expect(fromLive.envelopes.map((e) => e.type)).toEqual(['taskcast:status', 'deep', 'taskcast:status'])
    expect(fromLive.envelopes[1]!.data).toEqual(expected)

    const replay = await (await SseReader.open(`${url}/tasks/t/events`)).readUntilDone()
    expect(replay.envelopes).toEqual(fromLive.envelopes)

    const history = (await (await fetch(`${url}/tasks/t/events/history`)).json()) as { type: string; data: unknown }[]
    expect(history.map((e) => e.type)).toEqual(['taskcast:status', 'deep', 'taskcast:status'])
    expect(history[1]!.data).toEqual(expected)

    const [delivery] = (await receiver.waitFor(3)).filter((r) => r.headers['x-taskcast-event'] === 'deep')
    expect((delivery!.json as { data: unknown }).data).toEqual(expected)

    await engine.stop()
    expect((await longTermStore.getEvents('t')).map((e) => e.data)[1]).toEqual(expected)
  })
})
