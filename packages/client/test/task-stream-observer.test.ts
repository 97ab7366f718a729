// TaskStreamObserver against a real server: the external store React builds on.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { appendSeriesText } from '../src/accumulate-text.js'
import { TaskcastClient, TaskStreamObserver, idleTaskStreamState, type TaskStreamState } from '../src/index.js'
import { deltas } from './support/recorder.js'
import { runningTask, startTaskcastServer, type TestServer } from './support/taskcast-server.js'

// The observer's text fold, counted: the proof that folding is incremental needs no clock.
vi.mock('../src/accumulate-text.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/accumulate-text.js')>()
  return { ...original, appendSeriesText: vi.fn(original.appendSeriesText) }
})
const appends = vi.mocked(appendSeriesText)
beforeEach(() => {
  appends.mockClear()
})

let server: TestServer
beforeAll(async () => {
  server = await startTaskcastServer()
})
afterAll(() => server.close())

/** Listens until `predicate` holds; resolves with the state and stops listening. */
function until(observer: TaskStreamObserver, predicate: (state: TaskStreamState) => boolean): Promise<TaskStreamState> {
  return new Promise((resolve) => {
    const stop = observer.subscribe(() => {
      const state = observer.getSnapshot()
      if (!predicate(state)) return
      stop()
      resolve(state)
    })
  })
}

/** Listens (with `listener`, or nothing) once the server sees the stream open: what follows is live. */
async function connected(taskId: string, observer: TaskStreamObserver, listener = () => {}): Promise<() => void> {
  const stop = observer.subscribe(listener)
  await server.sseSettles(() => server.openStreams(taskId) === 1)
  return stop
}

function countingClient(urls: string[]): TaskcastClient {
  return new TaskcastClient({
    baseUrl: server.url,
    fetch: (input, init) => {
      urls.push(String(input))
      return fetch(input, init)
    },
  })
}

describe('TaskStreamObserver', () => {
  it('starts idle and does nothing until someone listens', async () => {
    const urls: string[] = []
    const taskId = await runningTask(server.engine)
    const observer = new TaskStreamObserver(countingClient(urls), taskId)
    expect(observer.getSnapshot()).toBe(idleTaskStreamState)
    expect(urls).toEqual([])
  })

  it('folds a replay into few snapshots, each stable until the next change', async () => {
    const taskId = await runningTask(server.engine)
    await server.engine.publishEvents(taskId, Array.from({ length: 500 }, (_, i) => ({ type: 'n', data: i })))
    await server.engine.transitionTask(taskId, 'completed')
    const observer = new TaskStreamObserver(new TaskcastClient({ baseUrl: server.url }), taskId)
    const snapshots: TaskStreamState[] = []
    const stop = observer.subscribe(() => snapshots.push(observer.getSnapshot()))
    const final = await until(observer, (state) => state.isDone)
    stop()
    expect(final.events.map((e) => e.rawIndex)).toEqual(Array.from({ length: 502 }, (_, i) => i))
    expect([final.doneReason, final.status, final.error]).toEqual(['completed', 'completed', undefined])
    expect(observer.getSnapshot()).toBe(final)
    // One notification per network chunk at most, not one per event.
    expect(snapshots.length).toBeLessThan(50)
    expect(new Set(snapshots).size).toBe(snapshots.length)
  })

  it('tracks the task status from status events', async () => {
    const task = await server.engine.createTask({})
    const observer = new TaskStreamObserver(new TaskcastClient({ baseUrl: server.url }), task.id)
    const running = until(observer, (state) => state.status === 'running')
    await server.sseSettles(() => server.openStreams(task.id) === 1)
    await server.engine.transitionTask(task.id, 'running')
    expect((await running).isDone).toBe(false)
    const done = until(observer, (state) => state.isDone)
    await server.engine.transitionTask(task.id, 'failed', { error: { message: 'no' } })
    expect(await done).toMatchObject({ status: 'failed', doneReason: 'failed', isDone: true })
  })

  it('keeps its single connection when the last listener leaves and another joins in the same tick', async () => {
    const urls: string[] = []
    const taskId = await runningTask(server.engine)
    const observer = new TaskStreamObserver(countingClient(urls), taskId)
    const first = observer.subscribe(() => {})
    first() // what React StrictMode does to every effect on mount
    const second = observer.subscribe(() => {})
    await until(observer, (state) => state.events.length === 1)
    expect(urls).toHaveLength(1)
    expect(server.sse.filter((e) => e.taskId === taskId).map((e) => e.kind)).toEqual(['connect'])
    second()
    await server.sseSettles(() => server.openStreams(taskId) === 0)
  })

  it('closes the stream when nobody listens, and resumes after its last event when listened to again', async () => {
    const urls: string[] = []
    const taskId = await runningTask(server.engine)
    const observer = new TaskStreamObserver(countingClient(urls), taskId, { filter: { since: { index: 0 } } })
    await server.engine.publishEvents(taskId, deltas(3))
    const before = await until(observer, (state) => state.events.length === 3)
    await server.sseSettles(() => server.openStreams(taskId) === 0)

    await server.engine.publishEvents(taskId, deltas(3, 3))
    await server.engine.transitionTask(taskId, 'completed')
    const after = await until(observer, (state) => state.isDone)
    expect(after.events.slice(0, 3)).toEqual(before.events)
    expect(after.events.map((e) => e.filteredIndex)).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(new URL(urls[1]!).searchParams.get('since.id')).toBe(before.events[2]!.eventId)

    // Done is final: a new listener does not reconnect.
    observer.subscribe(() => {})()
    expect(urls).toHaveLength(2)
  })

  it('keeps the error that ended the stream', async () => {
    const observer = new TaskStreamObserver(new TaskcastClient({ baseUrl: server.url }), 'no-such-task')
    const state = await until(observer, (s) => s.error !== undefined)
    expect([state.error?.code, state.isDone, state.events]).toEqual(['TASK_NOT_FOUND', false, []])
  })

  it('snapshots keep their own events, even when read only after more arrived', async () => {
    const taskId = await runningTask(server.engine)
    const observer = new TaskStreamObserver(new TaskcastClient({ baseUrl: server.url }), taskId)
    const snapshots: TaskStreamState[] = []
    const stop = await connected(taskId, observer, () => snapshots.push(observer.getSnapshot()))
    for (let i = 0; i < 3; i++) {
      await server.engine.publishEvents(taskId, deltas(2, 2 * i))
      await until(observer, (state) => state.events.length === 3 + 2 * i)
    }
    await server.engine.transitionTask(taskId, 'completed')
    await until(observer, (state) => state.isDone)
    stop()
    // Only `until` read `events`, of the latest snapshot: each earlier one shows the log as it was.
    const lengths = snapshots.map((state) => state.events.length)
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b))
    expect(lengths.at(-1)).toBe(8)
    const last = snapshots.at(-1)!.events
    for (const state of snapshots) expect(state.events).toEqual(last.slice(0, state.events.length))
    // A snapshot copies its events once: reading them again gives the same array.
    expect(snapshots[0]!.events).toBe(snapshots[0]!.events)
  })
})

describe('TaskStreamObserver: status and the pending question', () => {
  const QUESTION = { type: 'approval', data: { tool: 'deploy' } }

  /** Every distinct (status, request) pair listeners were shown, in order. */
  function statusTrail(observer: TaskStreamObserver): { trail: string[]; stop: () => void } {
    const trail: string[] = []
    const stop = observer.subscribe(() => {
      const { status, request } = observer.getSnapshot()
      const entry = `${status ?? '-'} ${JSON.stringify(request) ?? '-'}`
      if (trail.at(-1) !== entry) trail.push(entry)
    })
    return { trail, stop }
  }

  it('shows the question while the task is blocked, and clears it on the answer and at the end', async () => {
    const taskId = await runningTask(server.engine)
    const observer = new TaskStreamObserver(new TaskcastClient({ baseUrl: server.url }), taskId)
    const { trail, stop } = statusTrail(observer)
    await until(observer, (state) => state.status === 'running')
    await server.engine.transitionTask(taskId, 'blocked', { request: QUESTION })
    expect(await until(observer, (state) => state.status === 'blocked')).toMatchObject({ request: QUESTION, isDone: false })
    await server.engine.resolveTask(taskId, { approved: true })
    expect((await until(observer, (state) => state.status === 'running')).request).toBeUndefined()
    await server.engine.transitionTask(taskId, 'blocked', { request: { type: 'pick', data: ['a', 'b'] } })
    await until(observer, (state) => state.status === 'blocked')
    await server.engine.cancelTask(taskId, 'no answer')
    const final = await until(observer, (state) => state.isDone)
    stop()
    expect([final.status, final.request, final.doneReason]).toEqual(['cancelled', undefined, 'cancelled'])
    expect(trail).toEqual([
      'running -',
      `blocked ${JSON.stringify(QUESTION)}`,
      'running -',
      'blocked {"type":"pick","data":["a","b"]}',
      'cancelled -',
    ])
  })

  it('joins a blocked task with its question, from the replay', async () => {
    const taskId = await runningTask(server.engine)
    await server.engine.transitionTask(taskId, 'blocked', { request: QUESTION })
    const observer = new TaskStreamObserver(new TaskcastClient({ baseUrl: server.url }), taskId)
    const stop = observer.subscribe(() => {})
    expect(await until(observer, (state) => state.status === 'blocked')).toMatchObject({ request: QUESTION })
    stop()
  })

  it('follows a status-only stream beside a filter without status events, and ends both with the task', async () => {
    const urls: string[] = []
    const taskId = await runningTask(server.engine)
    const observer = new TaskStreamObserver(countingClient(urls), taskId, { filter: { types: ['llm.*'], includeStatus: false } })
    const stop = observer.subscribe(() => {})
    await server.sseSettles(() => server.openStreams(taskId) === 2)
    await server.engine.publishEvent(taskId, { type: 'llm.delta', data: { text: 'Should I?' } })
    await server.engine.transitionTask(taskId, 'blocked', { request: QUESTION })
    expect(await until(observer, (state) => state.status === 'blocked')).toMatchObject({ request: QUESTION })
    await server.engine.resolveTask(taskId, 'yes')
    await until(observer, (state) => state.status === 'running')
    await server.engine.publishEvent(taskId, { type: 'llm.delta', data: { text: 'Done.' } })
    await server.engine.transitionTask(taskId, 'completed')
    const final = await until(observer, (state) => state.isDone)
    // The events are the filter's, numbered by it: no status event in them, or in their indexes.
    expect(final.events.map((e) => [e.filteredIndex, e.data])).toEqual([
      [0, { text: 'Should I?' }],
      [1, { text: 'Done.' }],
    ])
    expect([final.status, final.request]).toEqual(['completed', undefined])
    await server.sseSettles(() => server.openStreams(taskId) === 0)
    // Done is final for both: a new listener opens nothing.
    stop()
    observer.subscribe(() => {})()
    expect(urls).toHaveLength(2)
  })
})

describe('TaskStreamObserver.getText', () => {
  it('folds 10,000 deltas with exactly one append per event, into the full text', async () => {
    const taskId = await runningTask(server.engine)
    const observer = new TaskStreamObserver(new TaskcastClient({ baseUrl: server.url }), taskId)
    expect(observer.getText('out')).toBe('')
    // Live from the start: a late joiner would get the series as one snapshot instead.
    const stop = await connected(taskId, observer)
    const pieces: string[] = []
    for (let batch = 0; batch < 20; batch++) {
      const events = deltas(500, batch * 500)
      pieces.push(...events.map((e) => e.data.text))
      await server.engine.publishEvents(taskId, events)
    }
    await server.engine.transitionTask(taskId, 'completed')
    const final = await until(observer, (state) => state.isDone)
    stop()

    expect(observer.getText('out')).toBe(pieces.join(''))
    // Linear: each event of the stream (10,000 deltas, two status events) appended once.
    expect(final.events).toHaveLength(10_002)
    const folded = appends.mock.calls.map(([, envelope]) => envelope)
    expect(folded).toHaveLength(final.events.length)
    expect(new Set(folded).size).toBe(folded.length)
    expect(folded.filter((e) => e.seriesId === 'out')).toHaveLength(10_000)
  })

  it('folds the events received so far once for a series asked for late, then one per new event', async () => {
    const taskId = await runningTask(server.engine)
    const observer = new TaskStreamObserver(new TaskcastClient({ baseUrl: server.url }), taskId)
    const stop = await connected(taskId, observer)
    await server.engine.publishEvents(taskId, [...deltas(3), ...deltas(2, 0, 'side')])
    await until(observer, (state) => state.events.length === 6)
    expect(appends).not.toHaveBeenCalled()

    expect(observer.getText('side')).toBe('d0;d1;')
    expect(observer.getText('side')).toBe('d0;d1;')
    expect(appends).toHaveBeenCalledTimes(6)
    await server.engine.publishEvents(taskId, deltas(1, 2, 'side'))
    await until(observer, (state) => state.events.length === 7)
    expect(observer.getText('side')).toBe('d0;d1;d2;')
    expect(appends).toHaveBeenCalledTimes(7)
    stop()
  })

  it('keeps one text per series and field', async () => {
    const taskId = await runningTask(server.engine)
    const observer = new TaskStreamObserver(new TaskcastClient({ baseUrl: server.url }), taskId)
    const stop = await connected(taskId, observer)
    await server.engine.publishEvents(taskId, [
      { type: 'llm.delta', data: { content: 'Hel', text: 'x' }, seriesId: 's', seriesMode: 'accumulate' },
      { type: 'llm.delta', data: { content: 'lo', text: 'y' }, seriesId: 's', seriesMode: 'accumulate' },
    ])
    await until(observer, (state) => state.events.length === 3)
    expect([observer.getText('s'), observer.getText('s', { field: 'content' }), observer.getText('t')]).toEqual([
      'xy',
      'Hello',
      '',
    ])
    stop()
  })
})

describe('TaskStreamObserver.setOptions', () => {
  it('keeps the stream for the same client, task and an equal filter', async () => {
    const urls: string[] = []
    const taskId = await runningTask(server.engine)
    const client = countingClient(urls)
    const filter = { types: ['a.*', 'b.*'], includeStatus: false }
    const observer = new TaskStreamObserver(client, taskId, { filter })
    const stop = observer.subscribe(() => {})
    await server.engine.publishEvents(taskId, [{ type: 'a.x', data: 1 }])
    const before = await until(observer, (state) => state.events.length === 1)
    observer.setOptions(client, taskId, { filter: { includeStatus: false, types: ['a.*', 'b.*'] }, enabled: true })
    expect(observer.getSnapshot()).toBe(before)
    expect(observer.matches(client, taskId, { filter: { types: ['b.*'] } })).toBe(false)
    expect(observer.matches(countingClient(urls), taskId, { filter })).toBe(false)
    expect(observer.matches(client, taskId, { filter, seriesFormat: 'accumulated' })).toBe(false)
    // The filter's stream and, as it has no status events, the status-only one: nothing reopened.
    expect(urls.map((url) => decodeURIComponent(new URL(url).search))).toEqual([
      '?types=a.*,b.*&includeStatus=false',
      '?types=taskcast:status&includeStatus=true',
    ])
    stop()
    await server.sseSettles(() => server.openStreams(taskId) === 0)
  })

  it('moves to another task: the old stream closes, listeners see an empty state, then the new events', async () => {
    const urls: string[] = []
    const client = countingClient(urls)
    const [first, second] = [await runningTask(server.engine), await runningTask(server.engine)]
    await server.engine.publishEvents(first, [{ type: 'first', data: 1 }])
    await server.engine.publishEvents(second, [{ type: 'second', data: 2 }])
    const observer = new TaskStreamObserver(client, first)
    const seen: TaskStreamState[] = []
    const stop = observer.subscribe(() => seen.push(observer.getSnapshot()))
    await until(observer, (state) => state.events.length === 2)

    observer.setOptions(client, second)
    expect(seen.at(-1)).toBe(idleTaskStreamState)
    await server.sseSettles(() => server.openStreams(first) === 0)
    const after = await until(observer, (state) => state.events.length === 2)
    expect(after.events.map((e) => e.type)).toEqual(['taskcast:status', 'second'])
    expect(urls.map((url) => new URL(url).pathname)).toEqual([`/tasks/${first}/events`, `/tasks/${second}/events`])

    // Idle: no task, or disabled.
    observer.setOptions(client, null)
    expect(observer.getSnapshot()).toBe(idleTaskStreamState)
    await server.sseSettles(() => server.openStreams(second) === 0)
    observer.setOptions(client, second, { enabled: false })
    expect(urls).toHaveLength(2)
    stop()
  })

  it('drops the texts of the old stream', async () => {
    const client = new TaskcastClient({ baseUrl: server.url })
    const [first, second] = [await runningTask(server.engine), await runningTask(server.engine)]
    const observer = new TaskStreamObserver(client, first)
    const stop = await connected(first, observer)
    await server.engine.publishEvents(first, deltas(2))
    await until(observer, (state) => state.events.length === 3)
    expect(observer.getText('out')).toBe('d0;d1;')
    observer.setOptions(client, second)
    expect(observer.getText('out')).toBe('')
    await server.sseSettles(() => server.openStreams(second) === 1)
    await server.engine.publishEvents(second, deltas(1, 7))
    await until(observer, (state) => state.events.length === 2)
    expect(observer.getText('out')).toBe('d7;')
    stop()
  })
})
