// useTaskText: the accumulated text of a series, live and after a "page reload" mid-stream.
import { StrictMode } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { useTaskText, type UseTaskTextOptions } from '../src/index.js'
import { mount, runningTask, useServer } from './support/dom.js'

const server = useServer()

function Text(props: { taskId: string; seriesId: string; options: UseTaskTextOptions; renders?: string[] }) {
  const text = useTaskText(props.taskId, props.seriesId, props.options)
  props.renders?.push(text)
  return <pre>{text}</pre>
}

const delta = (text: string, seriesId = 'out') => ({
  type: 'llm.delta',
  data: { text },
  seriesId,
  seriesMode: 'accumulate' as const,
})

describe('useTaskText', () => {
  it('shows the full text after a reload mid-stream: snapshot first, then the deltas', async () => {
    const { engine, url } = server.current
    const taskId = await runningTask(engine)
    const pieces = Array.from({ length: 60 }, (_, i) => `p${i} `)
    const element = (
      <StrictMode>
        <Text taskId={taskId} seriesId="out" options={{ baseUrl: url }} />
      </StrictMode>
    )
    let page = mount(element)
    for (const [i, piece] of pieces.entries()) {
      if (i === 30) {
        await vi.waitFor(() => expect(page.container.textContent).toBe(pieces.slice(0, 30).join('')))
        // A reload: the old page goes away, a new one joins with no cursor.
        page.unmount()
        page = mount(element)
      }
      await engine.publishEvent(taskId, delta(piece))
      if (i % 10 === 0) await engine.publishEvent(taskId, delta('other', 'another-series'))
    }
    await engine.transitionTask(taskId, 'completed')
    await vi.waitFor(() => expect(page.container.textContent).toBe(pieces.join('')))
    page.unmount()
  })

  it('reads the field the producer accumulated', async () => {
    const { engine, url } = server.current
    const taskId = await runningTask(engine)
    await engine.publishEvents(taskId, [
      { type: 'llm.delta', data: { content: 'Hel', text: 'x' }, seriesId: 's', seriesMode: 'accumulate', seriesAccField: 'content' },
      { type: 'llm.delta', data: { content: 'lo', text: 'y' }, seriesId: 's', seriesMode: 'accumulate', seriesAccField: 'content' },
    ])
    await engine.transitionTask(taskId, 'completed')
    const page = mount(<Text taskId={taskId} seriesId="s" options={{ baseUrl: url, field: 'content' }} />)
    await vi.waitFor(() => expect(page.container.textContent).toBe('Hello'))
    page.unmount()
  })

  it('shows the full text of 10,000 deltas, rendering per chunk read and not per delta', async () => {
    const { engine, url } = server.current
    const taskId = await runningTask(engine)
    const renders: string[] = []
    const page = mount(<Text taskId={taskId} seriesId="out" options={{ baseUrl: url }} renders={renders} />)
    // Live from the start: a late joiner would get the series as one snapshot instead.
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 1)
    const pieces: string[] = []
    for (let batch = 0; batch < 20; batch++) {
      const events = Array.from({ length: 500 }, (_, i) => delta(`d${batch * 500 + i};`))
      pieces.push(...events.map((e) => e.data.text))
      await engine.publishEvents(taskId, events)
    }
    await engine.transitionTask(taskId, 'completed')
    await vi.waitFor(() => expect(page.container.textContent).toBe(pieces.join('')))
    // The count of appends is proven in @taskcast/client (TaskStreamObserver.getText): here,
    // that the hook renders per chunk read, not per delta. A 500-delta batch (about 50 KB of
    // frames) arrives in however many socket reads the machine's load makes of it, so the bound
    // is an order of magnitude below one render per delta rather than a count per batch.
    expect(renders.length).toBeLessThan(1000)
    expect(renders.at(-1)).toBe(pieces.join(''))
    page.unmount()
  })

  it('renders only when its text changes', async () => {
    const { engine, url } = server.current
    const taskId = await runningTask(engine)
    const renders: string[] = []
    const page = mount(<Text taskId={taskId} seriesId="out" options={{ baseUrl: url }} renders={renders} />)
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 1)
    await engine.publishEvents(taskId, [delta('x', 'another-series'), { type: 'tool.call', data: {} }])
    await engine.publishEvents(taskId, [delta('a'), delta('b'), delta('c')])
    await vi.waitFor(() => expect(page.container.textContent).toBe('abc'))
    // The first render, then one for the batch of three: none for the status or the other series.
    expect(renders).toEqual(['', 'abc'])
    page.unmount()
  })

  it('under StrictMode, mounting leaves exactly one open stream and unmounting none', async () => {
    const { engine, url } = server.current
    const taskId = await runningTask(engine)
    const page = mount(
      <StrictMode>
        <Text taskId={taskId} seriesId="out" options={{ baseUrl: url }} />
      </StrictMode>,
    )
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 1)
    await engine.publishEvent(taskId, delta('hi'))
    await vi.waitFor(() => expect(page.container.textContent).toBe('hi'))
    page.unmount()
    await server.current.sseSettles(() => server.current.openStreams(taskId) === 0)
    expect(server.current.sse.filter((e) => e.taskId === taskId).map((e) => e.kind)).toEqual(['connect', 'disconnect'])
  })
})
