// GET /events (SPEC §21): every task's live events on one stream, filtered, per the caller's grant.
import type { SSEEnvelope } from '@taskcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { TaskcastAppOptions } from '../src/index.js'
import { headerAuth, startApp, waitFor } from './harness.js'
import { SseReader } from './sse-reader.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const start = (options: Partial<TaskcastAppOptions> = {}) => startApp(cleanups, options)

async function watch(url: string, init: RequestInit = {}): Promise<SseReader> {
  const reader = await SseReader.open(url, init)
  cleanups.push(() => reader.cancel())
  expect(reader.response.status).toBe(200)
  expect(reader.response.headers.get('content-type')).toContain('text/event-stream')
  expect((await reader.next())?.retry).toBe(1000)
  return reader
}

/** The next `count` envelopes, as `[taskId, type, rawIndex]` (status events as `status:<status>`). */
async function take(reader: SseReader, count: number): Promise<Array<[string, string, number]>> {
  const out: Array<[string, string, number]> = []
  while (out.length < count) {
    const frame = await reader.nextEvent()
    if (!frame) throw new Error('stream ended')
    expect(frame.event).toBe('taskcast.event')
    const envelope = JSON.parse(frame.data!) as SSEEnvelope
    expect(frame.id).toBe(envelope.eventId)
    expect(envelope.filteredIndex).toBe(envelope.rawIndex)
    const label =
      envelope.type === 'taskcast:status' || envelope.type === 'taskcast:created'
        ? `${envelope.type === 'taskcast:created' ? 'created' : 'status'}:${(envelope.data as { status: string }).status}`
        : envelope.type
    out.push([envelope.taskId, label, envelope.rawIndex])
  }
  return out
}

describe('GET /events', () => {
  it('streams every task’s events and status changes, each once, in order per task', async () => {
    const { engine, url } = await start()
    const before = await engine.createTask({ type: 'chat' })
    const reader = await watch(`${url}/events`)
    const after = await engine.createTask({ type: 'render' })
    await engine.transitionTask(before.id, 'running')
    await engine.transitionTask(after.id, 'running')
    await engine.publishEvent(before.id, { type: 'llm.delta', data: { text: 'a' } })
    await engine.publishEvents(after.id, [{ type: 'progress', data: 1 }, { type: 'progress', data: 2 }])
    await engine.transitionTask(before.id, 'completed')
    expect(await take(reader, 7)).toEqual([
      [after.id, 'created:pending', -1],
      [before.id, 'status:running', 0],
      [after.id, 'status:running', 0],
      [before.id, 'llm.delta', 1],
      [after.id, 'progress', 1],
      [after.id, 'progress', 2],
      [before.id, 'status:completed', 2],
    ])
  })

  it('announces a created task with its type and createdAt, never its auth rules; includeStatus=false leaves it out', async () => {
    const { engine, url } = await start()
    const withStatus = await watch(`${url}/events?types=`)
    const withoutStatus = await watch(`${url}/events?includeStatus=false`)
    const task = await engine.createTask({ type: 'llm.chat', authConfig: { rules: [{ match: { scope: ['task:manage'] }, require: { sub: ['x'] } }] } })
    const frame = await withStatus.nextEvent()
    expect(JSON.parse(frame!.data!)).toEqual({
      filteredIndex: -1,
      rawIndex: -1,
      eventId: frame!.id,
      taskId: task.id,
      type: 'taskcast:created',
      timestamp: task.createdAt,
      level: 'info',
      data: { status: 'pending', createdAt: task.createdAt, type: 'llm.chat' },
    })
    await engine.transitionTask(task.id, 'running')
    await engine.publishEvent(task.id, { type: 'llm.delta', data: 'x' })
    expect(await take(withoutStatus, 1)).toEqual([[task.id, 'llm.delta', 1]])
  })

  it('filters by event types, levels, status and task types (types= leaves status events only)', async () => {
    const { engine, url } = await start()
    const chat = await engine.createTask({ type: 'chat.llm' })
    const render = await engine.createTask({ type: 'render' })
    const statusOnly = await watch(`${url}/events?types=`)
    const errorsOfChats = await watch(`${url}/events?levels=error&includeStatus=false&taskTypes=chat.*`)
    const deltas = await watch(`${url}/events?types=llm.*&includeStatus=0`)
    for (const task of [chat, render]) await engine.transitionTask(task.id, 'running')
    for (const task of [chat, render]) {
      await engine.publishEvent(task.id, { type: 'llm.delta', data: 'x' })
      await engine.publishEvent(task.id, { type: 'oops', level: 'error', data: 'y' })
    }
    await engine.transitionTask(render.id, 'failed', { error: { message: 'no' } })
    expect(await take(statusOnly, 3)).toEqual([
      [chat.id, 'status:running', 0],
      [render.id, 'status:running', 0],
      [render.id, 'status:failed', 3],
    ])
    expect(await take(errorsOfChats, 1)).toEqual([[chat.id, 'oops', 2]])
    expect(await take(deltas, 2)).toEqual([
      [chat.id, 'llm.delta', 1],
      [render.id, 'llm.delta', 1],
    ])
    // Nothing else was queued behind them: one more event shows what comes next on each stream.
    await engine.publishEvent(chat.id, { type: 'llm.end', level: 'error', data: null })
    expect(await take(errorsOfChats, 1)).toEqual([[chat.id, 'llm.end', 3]])
    expect(await take(deltas, 1)).toEqual([[chat.id, 'llm.end', 3]])
  })

  it('sends : ping on the heartbeat and releases the watch when the client goes', async () => {
    const { engine, url, broadcast } = await start({ sse: { heartbeatMs: 50 } })
    // The engine subscribes to the broadcast once, while someone watches: count those subscriptions.
    const subscribeAll = broadcast.subscribeAll.bind(broadcast)
    let watching = 0
    broadcast.subscribeAll = (handler) => {
      watching++
      const off = subscribeAll(handler)
      return () => {
        watching--
        off()
      }
    }
    const reader = await watch(`${url}/events`)
    const second = await watch(`${url}/events`)
    expect(watching).toBe(1)
    expect((await reader.next())?.comment).toBe('ping')
    await reader.cancel()
    await second.cancel()
    await waitFor(() => watching === 0, 'the watch to be released')
    const task = await engine.createTask()
    await engine.transitionTask(task.id, 'running')
    const again = await watch(`${url}/events`)
    expect(watching).toBe(1)
    await engine.publishEvent(task.id, { type: 'after' })
    expect(await take(again, 1)).toEqual([[task.id, 'after', 1]])
  })

  it('answers 400 for a bad level or includeStatus before streaming', async () => {
    const { url } = await start()
    for (const query of ['levels=loud', 'includeStatus=maybe', 'taskTypes=a,,b', 'types=a,,b']) {
      const response = await fetch(`${url}/events?${query}`)
      expect(response.status, query).toBe(400)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_ERROR')
    }
  })
})

describe('GET /events with auth', () => {
  it('needs event:subscribe, and a taskIds token sees only its tasks', async () => {
    const { engine, url } = await start({ auth: { mode: 'custom', authenticate: headerAuth } })
    expect((await fetch(`${url}/events`, { headers: { 'x-scope': 'task:list' } })).status).toBe(403)
    expect((await fetch(`${url}/events`)).status).toBe(401)
    const [mine, theirs] = [await engine.createTask(), await engine.createTask()]
    const reader = await watch(`${url}/events`, { headers: { 'x-scope': 'event:subscribe', 'x-tasks': mine.id } })
    await engine.transitionTask(theirs.id, 'running')
    await engine.transitionTask(mine.id, 'running')
    await engine.publishEvent(theirs.id, { type: 'secret' })
    await engine.publishEvent(mine.id, { type: 'mine' })
    expect(await take(reader, 2)).toEqual([
      [mine.id, 'status:running', 0],
      [mine.id, 'mine', 1],
    ])
  })

  it('leaves out the events of a task whose own rules refuse the caller', async () => {
    const { engine, url } = await start({ auth: { mode: 'custom', authenticate: headerAuth } })
    const guarded = await engine.createTask({
      authConfig: { rules: [{ match: { scope: ['event:subscribe'] }, require: { sub: ['alice'] } }] },
    })
    const open = await engine.createTask()
    const bob = await watch(`${url}/events`, { headers: { 'x-scope': 'event:subscribe', 'x-sub': 'bob' } })
    const alice = await watch(`${url}/events`, { headers: { 'x-scope': 'event:subscribe', 'x-sub': 'alice' } })
    await engine.transitionTask(guarded.id, 'running')
    await engine.transitionTask(open.id, 'running')
    expect(await take(bob, 1)).toEqual([[open.id, 'status:running', 0]])
    expect(await take(alice, 2)).toEqual([
      [guarded.id, 'status:running', 0],
      [open.id, 'status:running', 0],
    ])
  })
})
