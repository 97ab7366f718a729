// useTaskText: the accumulated text of a series, live and after a "page reload" mid-stream.
import { StrictMode } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { useTaskText, type UseTaskTextOptions } from '../src/index.js'
import { mount, runningTask, useServer } from './support/dom.js'

const server = useServer()

function Text(props: { taskId: string; seriesId: string; options: UseTaskTextOptions }) {
  return <pre>{useTaskText(props.taskId, props.seriesId, props.options)}</pre>
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
})
