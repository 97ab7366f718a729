// useTaskEvents with the real react-dom renderer against a real server: StrictMode, switching
// tasks and filters, unmounting, idling, and the README's component as written.
import { TaskcastClient, type TaskStreamState } from '@taskcast/client'
import { StrictMode } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { useTaskEvents, type UseTaskEventsOptions } from '../src/index.js'
import { mount, runningTask, useServer } from './support/dom.js'

const server = useServer()

function Events(props: { taskId: string | null | undefined; options: UseTaskEventsOptions; log?: TaskStreamState[] }) {
  const state = useTaskEvents(props.taskId, props.options)
  props.log?.push(state)
  return (
    <div>
      <ol>
        {state.events.map((e) => (
          <li key={e.eventId}>
            {e.type} {JSON.stringify(e.data)}
          </li>
        ))}
      </ol>
      <p>{`${state.isDone ? `done:${state.doneReason}` : 'open'} status:${state.status ?? '-'} error:${state.error?.code ?? '-'}`}</p>
    </div>
  )
}

const items = (container: HTMLElement): string[] => [...container.querySelectorAll('li')].map((li) => li.textContent ?? '')
const statusLine = (container: HTMLElement): string => container.querySelector('p')?.textContent ?? ''
const sseLog = (taskId: string): string[] =>
  server.current.sse.filter((e) => e.taskId === taskId).map((e) => e.kind)

/** Resolves when a live subscriber (outside React) saw the task finish: everything was sent. */
function witnessDone(taskId: string): Promise<void> {
  return new Promise((resolve, reject) =>
    new TaskcastClient({ baseUrl: server.current.url }).subscribe(taskId, {
      onDone: () => resolve(),
      onError: reject,
    }),
  )
}

describe('useTaskEvents', () => {
  it('opens exactly one stream under StrictMode and shows every event once', async () => {
    const { engine } = server.current
    const taskId = await runningTask(engine)
    const view = mount(
      <StrictMode>
        <Events taskId={taskId} options={{ baseUrl: server.current.url }} />
      </StrictMode>,
    )
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 1)
    await engine.publishEvents(taskId, [
      { type: 'llm.delta', data: { text: 'a' } },
      { type: 'llm.delta', data: { text: 'b' } },
    ])
    await engine.transitionTask(taskId, 'completed')
    await vi.waitFor(() => expect(statusLine(view.container)).toBe('done:completed status:completed error:-'))
    expect(items(view.container)).toEqual([
      'taskcast:status {"status":"running","previousStatus":"pending"}',
      'llm.delta {"text":"a"}',
      'llm.delta {"text":"b"}',
      'taskcast:status {"status":"completed","previousStatus":"running"}',
    ])
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 0)
    expect(sseLog(taskId)).toEqual(['connect', 'disconnect'])
    view.unmount()
  })

  it('under StrictMode, mounting leaves exactly one open stream, a task change one, unmounting none', async () => {
    const { engine, url } = server.current
    const [first, second] = [await runningTask(engine), await runningTask(engine)]
    const requests: string[] = []
    const options: UseTaskEventsOptions = {
      baseUrl: url,
      fetch: (input, init) => {
        requests.push(new URL(String(input)).pathname)
        return fetch(input, init)
      },
    }
    const element = (taskId: string) => (
      <StrictMode>
        <Events taskId={taskId} options={options} />
      </StrictMode>
    )
    const view = mount(element(first))
    await server.current.sseSettles(() => server.current.openStreams(first) === 1)
    await vi.waitFor(() => expect(statusLine(view.container)).toBe('open status:running error:-'))
    expect(requests).toEqual([`/tasks/${first}/events`])

    view.render(element(second))
    await server.current.sseSettles(() => server.current.openStreams(first) === 0 && server.current.openStreams(second) === 1)
    await vi.waitFor(() => expect(items(view.container)).toHaveLength(1))
    expect(requests).toEqual([`/tasks/${first}/events`, `/tasks/${second}/events`])

    view.unmount()
    await server.current.sseSettles(() => server.current.openStreams(second) === 0)
    expect(sseLog(first)).toEqual(['connect', 'disconnect'])
    expect(sseLog(second)).toEqual(['connect', 'disconnect'])
    expect(requests).toHaveLength(2)
  })

  it('renders once per batch of events published in one request', async () => {
    const { engine, url } = server.current
    const taskId = await runningTask(engine)
    const log: TaskStreamState[] = []
    const view = mount(<Events taskId={taskId} options={{ baseUrl: url }} log={log} />)
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 1)
    await vi.waitFor(() => expect(items(view.container)).toHaveLength(1))
    for (let batch = 1; batch <= 3; batch++) {
      const renders = log.length
      await engine.publishEvents(
        taskId,
        Array.from({ length: 10 }, (_, i) => ({ type: 'n', data: batch * 10 + i })),
      )
      await vi.waitFor(() => expect(items(view.container)).toHaveLength(1 + 10 * batch))
      // Ten events, one new state, one render.
      expect(log.length).toBe(renders + 1)
    }
    view.unmount()
  })

  it('closes the old stream and starts from an empty state when the task changes', async () => {
    const { engine, url } = server.current
    const [first, second] = [await runningTask(engine), await runningTask(engine)]
    await engine.publishEvent(first, { type: 'first', data: 1 })
    await engine.publishEvent(second, { type: 'second', data: 2 })
    const log: TaskStreamState[] = []
    const view = mount(<Events taskId={first} options={{ baseUrl: url }} log={log} />)
    await vi.waitFor(() => expect(items(view.container)).toHaveLength(2))

    const rendersBeforeSwitch = log.length
    view.render(<Events taskId={second} options={{ baseUrl: url }} log={log} />)
    // The very render that switched tasks already shows the new task's (empty) state.
    expect(log[rendersBeforeSwitch]!.events).toEqual([])
    await server.current.sseSettles(() => server.current.openStreams(first) === 0)
    await engine.publishEvent(first, { type: 'first-late', data: 3 })
    await vi.waitFor(() => expect(items(view.container)).toHaveLength(2))
    expect(items(view.container)).toEqual([
      'taskcast:status {"status":"running","previousStatus":"pending"}',
      'second 2',
    ])
    expect(sseLog(first)).toEqual(['connect', 'disconnect'])
    view.unmount()
  })

  it('compares the filter by value: a new equal object keeps the stream, a different one restarts it', async () => {
    const { engine, url } = server.current
    const taskId = await runningTask(engine)
    await engine.publishEvents(taskId, [
      { type: 'a.x', data: 1 },
      { type: 'b.x', data: 2 },
    ])
    const render = (types: string[], token: string) => (
      <Events taskId={taskId} options={{ baseUrl: url, token, filter: { includeStatus: false, types: [...types] } }} />
    )
    const view = mount(render(['a.*'], 't1'))
    await vi.waitFor(() => expect(items(view.container)).toEqual(['a.x 1']))
    // Two streams: the filter's, and the status-only one that `status` needs without status events.
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 2)
    // New objects of the same value, and a new token: no new connection.
    view.render(render(['a.*'], 't2'))
    view.render(render(['a.*'], 't3'))
    expect(sseLog(taskId)).toEqual(['connect', 'connect'])

    view.render(render(['b.*'], 't3'))
    await vi.waitFor(() => expect(items(view.container)).toEqual(['b.x 2']))
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 2 && sseLog(taskId).length === 6)
    // The new streams may open before the old ones are seen closing: compare as a set of moves.
    expect(sseLog(taskId).sort()).toEqual(['connect', 'connect', 'connect', 'connect', 'disconnect', 'disconnect'])
    view.unmount()
  })

  it('restarts from an empty state when the base URL changes, and keeps the stream for an equal reconnect policy', async () => {
    const { engine, url } = server.current
    const taskId = await runningTask(engine)
    await engine.publishEvent(taskId, { type: 'first', data: 1 })
    const log: TaskStreamState[] = []
    const element = (baseUrl: string) => (
      <Events taskId={taskId} options={{ baseUrl, reconnect: { initialDelayMs: 10 } }} log={log} />
    )
    const view = mount(element(url))
    await vi.waitFor(() => expect(items(view.container)).toHaveLength(2))
    view.render(element(url))
    expect(sseLog(taskId)).toEqual(['connect'])

    const rendersBeforeSwitch = log.length
    // The same server under another spelling: a new client, so a new stream.
    view.render(element(`${url}/`))
    expect(log[rendersBeforeSwitch]!.events).toEqual([])
    await vi.waitFor(() => expect(items(view.container)).toHaveLength(2))
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 1 && sseLog(taskId).length === 3)
    expect(sseLog(taskId).sort()).toEqual(['connect', 'connect', 'disconnect'])
    view.unmount()
  })

  it('closes the stream on unmount and renders nothing afterwards', async () => {
    const { engine, url } = server.current
    const taskId = await runningTask(engine)
    const log: TaskStreamState[] = []
    const view = mount(<Events taskId={taskId} options={{ baseUrl: url }} log={log} />)
    await vi.waitFor(() => expect(items(view.container)).toHaveLength(1))
    view.unmount()
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 0)
    const renders = log.length
    const done = witnessDone(taskId)
    await engine.publishEvent(taskId, { type: 'after-unmount', data: null })
    await engine.transitionTask(taskId, 'completed')
    await done
    expect(log.length).toBe(renders)
    // The hook's stream, closed before the witness's opened.
    expect(sseLog(taskId)).toEqual(['connect', 'disconnect', 'connect', 'disconnect'])
  })

  it('stays idle without a task id or when disabled, and starts when given one', async () => {
    const { engine, url } = server.current
    const taskId = await runningTask(engine)
    const log: TaskStreamState[] = []
    const view = mount(<Events taskId={null} options={{ baseUrl: url }} log={log} />)
    view.render(<Events taskId={undefined} options={{ baseUrl: url }} log={log} />)
    view.render(<Events taskId={taskId} options={{ baseUrl: url, enabled: false }} log={log} />)
    expect(statusLine(view.container)).toBe('open status:- error:-')
    expect(log.every((state) => state === log[0] && state.events.length === 0)).toBe(true)
    expect(sseLog(taskId)).toEqual([])

    view.render(<Events taskId={taskId} options={{ baseUrl: url }} log={log} />)
    await vi.waitFor(() => expect(statusLine(view.container)).toBe('open status:running error:-'))
    view.render(<Events taskId={null} options={{ baseUrl: url }} log={log} />)
    expect(items(view.container)).toEqual([])
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 0)
    view.unmount()
  })

  it('shows the error that ended the stream', async () => {
    const view = mount(<Events taskId="no-such-task" options={{ baseUrl: server.current.url }} />)
    await vi.waitFor(() => expect(statusLine(view.container)).toBe('open status:- error:TASK_NOT_FOUND'))
    view.unmount()
  })
})

// The README's component, as written there.
function TaskStream({ taskId }: { taskId: string }) {
  const { events, isDone, doneReason, error } = useTaskEvents(taskId, {
    baseUrl: server.current.url,
    filter: { types: ['llm.*'] },
  })

  return (
    <div>
      {events.map((e) => (
        <span key={e.eventId}>{e.data.text}</span>
      ))}
      {isDone && <p>Done: {doneReason}</p>}
      {error && <p>Error: {error.message}</p>}
    </div>
  )
}

describe('the README example', () => {
  it('renders the streamed text and the end', async () => {
    const { engine } = server.current
    const taskId = await runningTask(engine)
    const view = mount(<TaskStream taskId={taskId} />)
    await engine.publishEvent(taskId, { type: 'llm.delta', data: { text: 'Once upon a time...' } })
    await engine.publishEvent(taskId, { type: 'tool.call', data: { text: 'not shown' } })
    await engine.publishEvent(taskId, { type: 'llm.delta', data: { text: ' The End.' } })
    await engine.transitionTask(taskId, 'completed', { result: { output: 'Once upon a time... The End.' } })
    await vi.waitFor(() => expect(view.container.textContent).toContain('Done: completed'))
    expect(view.container.textContent).toBe('Once upon a time... The End.Done: completed')
    view.unmount()
  })

  it('renders the error message for a task that does not exist', async () => {
    const view = mount(<TaskStream taskId="missing" />)
    await vi.waitFor(() => expect(view.container.textContent).toBe('Error: task missing not found'))
    view.unmount()
  })
})
