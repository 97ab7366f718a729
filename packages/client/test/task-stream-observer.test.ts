// TaskStreamObserver against a real server: the external store React builds on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TaskcastClient, TaskStreamObserver, idleTaskStreamState, type TaskStreamState } from '../src/index.js'
import { deltas } from './support/recorder.js'
import { runningTask, startTaskcastServer, type TestServer } from './support/taskcast-server.js'

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
})
