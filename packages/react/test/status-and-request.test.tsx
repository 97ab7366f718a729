// useTaskEvents' `status` and `request` with the real react-dom renderer against a real server:
// a task that blocks on a question, is answered and completes, shown as it goes; the same with
// a filter that leaves status events out; and the README's approval component, clicked. The
// answers go over HTTP, so the server runs in a worker thread (see worker-server.ts).
import { TaskcastClient, type SubscribeFilter } from '@taskcast/client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { useTaskEvents, type UseTaskEventsOptions } from '../src/index.js'
import { startTaskcastServerInWorker, type RemoteEngine, type WorkerServer } from '../../client/test/support/worker-server.js'
import { mount } from './support/dom.js'

const server = {} as { current: WorkerServer }
beforeAll(async () => {
  server.current = await startTaskcastServerInWorker()
  // The page on the server's origin: happy-dom's fetch applies the same-origin policy.
  ;(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${server.current.url}/app`)
})
afterAll(() => server.current.close())

async function runningTask(engine: RemoteEngine): Promise<string> {
  const task = await engine.createTask({ type: 'agent' })
  await engine.transitionTask(task.id, 'running')
  return task.id
}
const QUESTION = { type: 'approval', data: { tool: 'deploy', env: 'prod' } }

/** Renders the hook's status and request, and records each distinct pair it rendered. */
function StatusView(props: { taskId: string; options: UseTaskEventsOptions; trail: string[] }) {
  const { status, request, events } = useTaskEvents(props.taskId, props.options)
  const line = `${status ?? '-'} ${request ? JSON.stringify(request) : '-'}`
  if (props.trail.at(-1) !== line) props.trail.push(line)
  return (
    <p>
      {line} events:{events.length}
    </p>
  )
}

const text = (container: HTMLElement): string => container.textContent ?? ''
const TRAIL = ['- -', 'running -', `blocked ${JSON.stringify(QUESTION)}`, 'running -', 'completed -']

describe('useTaskEvents: status and request', () => {
  const cases: [string, SubscribeFilter | undefined, number][] = [
    ['every event', undefined, 5],
    ['a filter without status events', { types: ['llm.*'], includeStatus: false }, 1],
  ]
  for (const [name, filter, eventCount] of cases) {
    it(`shows the question while blocked, then the answer's running and the end (${name})`, async () => {
      const { engine, url } = server.current
      const taskId = await runningTask(engine)
      const trail: string[] = []
      const view = mount(<StatusView taskId={taskId} options={{ baseUrl: url, ...(filter && { filter }) }} trail={trail} />)
      await vi.waitFor(() => expect(text(view.container)).toMatch(/^running -/))
      await engine.transitionTask(taskId, 'blocked', { request: QUESTION, reason: 'needs approval' })
      await vi.waitFor(() => expect(text(view.container)).toMatch(/^blocked \{/))
      await new TaskcastClient({ baseUrl: url }).resolve(taskId, { approved: true })
      await vi.waitFor(() => expect(text(view.container)).toMatch(/^running -/))
      await engine.publishEvent(taskId, { type: 'llm.delta', data: { text: 'deployed' } })
      await engine.transitionTask(taskId, 'completed')
      await vi.waitFor(() => expect(text(view.container)).toBe(`completed - events:${eventCount}`))
      expect(trail).toEqual(TRAIL)
      view.unmount()
    })
  }
})

// The README's approval component, as written there (the base URL is the test server's).
let client: TaskcastClient
beforeAll(() => {
  client = new TaskcastClient({ baseUrl: server.current.url })
})

function Approval({ taskId }: { taskId: string }) {
  const { status, request } = useTaskEvents(taskId, { baseUrl: server.current.url })

  if (status === 'blocked' && request?.type === 'approval') {
    return (
      <div>
        <p>The agent asks to run {JSON.stringify(request.data)}</p>
        <button onClick={() => client.resolve(taskId, { approved: true })}>Approve</button>
        <button onClick={() => client.cancel(taskId, 'denied by the user')}>Deny</button>
      </div>
    )
  }
  return <p>{status ?? 'connecting'}</p>
}

describe('the README approval example', () => {
  async function askedFor(taskId: string) {
    const view = mount(<Approval taskId={taskId} />)
    await server.current.engine.transitionTask(taskId, 'blocked', { request: QUESTION })
    await vi.waitFor(() => expect(view.container.querySelectorAll('button')).toHaveLength(2))
    expect(view.container.querySelector('p')?.textContent).toBe(`The agent asks to run ${JSON.stringify(QUESTION.data)}`)
    const [approve, deny] = [...view.container.querySelectorAll('button')]
    return { view, approve: approve!, deny: deny! }
  }

  it('resolves the task with Approve', async () => {
    const taskId = await runningTask(server.current.engine)
    const { view, approve } = await askedFor(taskId)
    approve.click()
    await vi.waitFor(() => expect(text(view.container)).toBe('running'))
    expect(await server.current.engine.getTask(taskId)).toMatchObject({ status: 'running', resolution: { approved: true } })
    view.unmount()
  })

  it('cancels the task with Deny', async () => {
    const taskId = await runningTask(server.current.engine)
    const { view, deny } = await askedFor(taskId)
    deny.click()
    await vi.waitFor(() => expect(text(view.container)).toBe('cancelled'))
    const events = await server.current.engine.getEvents(taskId)
    expect(events.at(-1)?.data).toEqual({ status: 'cancelled', previousStatus: 'blocked', reason: 'denied by the user' })
    view.unmount()
  })
})
