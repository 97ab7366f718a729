// A plain EventSource must stop once a task has ended: its reconnect (Last-Event-ID, nothing
// left to replay) is answered 204, the one status that ends an EventSource for good. Checked
// with the npm `eventsource` package over a real socket, and with fetch for the exact answers.
import { EventSource } from 'eventsource'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastAppOptions } from '../src/index.js'
import { makeEngine, startServer } from './harness.js'
import { SseReader } from './sse-reader.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A server whose requests to the SSE route are recorded with their Last-Event-ID and status. */
async function start(options: Partial<TaskcastAppOptions> = {}) {
  const { engine } = makeEngine()
  const app = createTaskcastApp({ engine, ...options })
  const requests: { lastEventId: string | null; status: number }[] = []
  const host = new Hono()
  host.use('/tasks/:id/events', async (c, next) => {
    await next()
    requests.push({ lastEventId: c.req.header('Last-Event-ID') ?? null, status: c.res.status })
  })
  host.route('/', app)
  const server = await startServer(host.fetch)
  cleanups.push(async () => {
    await app.close()
    await server.close()
    await engine.stop()
  })
  return { engine, url: server.url, requests }
}

async function finishedTask(engine: ReturnType<typeof makeEngine>['engine'], id = 't') {
  await engine.createTask({ id })
  await engine.transitionTask(id, 'running')
  await engine.publishEvent(id, { type: 'llm.delta', data: { text: 'hi' } })
  await engine.transitionTask(id, 'completed')
  return engine.getEvents(id)
}

describe('EventSource and finished tasks', () => {
  it('the npm eventsource client gets one taskcast.done, reconnects once, is answered 204 and stops', async () => {
    // A short retry, so the reconnect the server asks for comes quickly.
    const { engine, url, requests } = await start({ sse: { retryMs: 20 } })
    const events = await finishedTask(engine)
    const source = new EventSource(`${url}/tasks/t/events`)
    cleanups.push(() => source.close())
    const received: string[] = []
    source.addEventListener('taskcast.event', (message) => received.push(JSON.parse(message.data).type))
    let doneFrames = 0
    source.addEventListener('taskcast.done', () => doneFrames++)
    // The error that follows the 204 leaves the source CLOSED; an ordinary drop leaves it CONNECTING.
    await new Promise<void>((resolve) => {
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) resolve()
      }
    })
    expect(received).toEqual(['taskcast:status', 'llm.delta', 'taskcast:status'])
    expect(doneFrames).toBe(1)
    expect(requests).toEqual([
      { lastEventId: null, status: 200 },
      { lastEventId: events.at(-1)!.id, status: 204 },
    ])
  })

  it('answers 204 only when a Last-Event-ID leaves nothing to replay under the filter of the request', async () => {
    const { engine, url } = await start()
    const events = await finishedTask(engine)
    const last = events.at(-1)!.id
    const delta = events[1]!.id

    const atEnd = await fetch(`${url}/tasks/t/events`, { headers: { 'Last-Event-ID': last } })
    expect([atEnd.status, await atEnd.text()]).toEqual([204, ''])

    // The final status event is still ahead of the delta for a filter that includes status events…
    const withStatus = await SseReader.open(`${url}/tasks/t/events`, { headers: { 'Last-Event-ID': delta } })
    const tail = await withStatus.readUntilDone()
    expect(tail.envelopes.map((e) => e.rawIndex)).toEqual([2])
    // …and is not for one that leaves them out.
    const withoutStatus = await fetch(`${url}/tasks/t/events?includeStatus=false`, { headers: { 'Last-Event-ID': delta } })
    expect(withoutStatus.status).toBe(204)

    // The same cursor in the URL is an explicit resume: it gets the replay-less done frame.
    const byQuery = await SseReader.open(`${url}/tasks/t/events?since.id=${last}`)
    expect(byQuery.response.status).toBe(200)
    const done = await byQuery.readUntilDone()
    expect([done.envelopes, done.done.data]).toEqual([[], '{"reason":"completed"}'])
  })

  it('keeps streaming a running task to a reconnecting EventSource, and still refuses an unknown id', async () => {
    const { engine, url } = await start()
    await engine.createTask({ id: 't' })
    await engine.transitionTask('t', 'running')
    const [status] = await engine.getEvents('t')
    const live = await SseReader.open(`${url}/tasks/t/events`, { headers: { 'Last-Event-ID': status!.id } })
    cleanups.push(() => live.cancel())
    expect(live.response.status).toBe(200)
    await engine.publishEvent('t', { type: 'a', data: 1 })
    const frame = await live.nextEvent()
    expect(JSON.parse(frame!.data!)).toMatchObject({ rawIndex: 1, type: 'a' })

    const unknown = await fetch(`${url}/tasks/t/events`, { headers: { 'Last-Event-ID': '01NOTANEVENTID0000000000000' } })
    expect([unknown.status, (await unknown.json()).error.code]).toEqual([400, 'VALIDATION_ERROR'])
  })
})
