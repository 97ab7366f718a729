import { describe, expect, it, vi } from 'vitest'
import { OBSERVING_HOOKS } from '../src/internal/index.js'
import { memoryEngine, runningTask } from './helpers.js'

describe('hooks', () => {
  it('calls lifecycle hooks with the task and its change', async () => {
    const calls: string[] = []
    const { engine } = memoryEngine({
      hooks: {
        onTaskCreated: (task) => void calls.push(`created:${task.status}`),
        onTaskTransition: (_task, from, to) => void calls.push(`transition:${from}>${to}`),
        onTaskFailed: (_task, error) => void calls.push(`failed:${error.code}`),
        onEventPublished: (event) => void calls.push(`event:${event.index}:${event.type}`),
      },
    })
    const task = await runningTask(engine)
    await engine.publishEvent(task.id, { type: 'x' })
    await engine.transitionTask(task.id, 'failed', { error: { code: 'E1', message: 'no' } })
    expect(calls).toEqual([
      'created:pending',
      'event:0:taskcast:status',
      'transition:pending>running',
      'event:1:x',
      'event:2:taskcast:status',
      'transition:running>failed',
      'failed:E1',
    ])
  })

  it('reports a throwing or rejecting hook to onUnhandledError and carries on', async () => {
    const reported: [string, string][] = []
    const { engine } = memoryEngine({
      hooks: {
        onTaskCreated: () => {
          throw new Error('sync boom')
        },
        onEventPublished: async () => {
          throw new Error('async boom')
        },
        onUnhandledError: (error, context) => void reported.push([context.source, (error as Error).message]),
      },
    })
    const task = await runningTask(engine)
    const event = await engine.publishEvent(task.id, { type: 'x' })
    expect(event.index).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(reported).toEqual([
      ['hook:onTaskCreated', 'sync boom'],
      ['hook:onEventPublished', 'async boom'],
      ['hook:onEventPublished', 'async boom'],
    ])
  })

  it('runs hooks added later, and stops after their remover is called', async () => {
    const { engine } = memoryEngine()
    const seen: number[] = []
    const remove = engine.addHooks({ onEventPublished: (e) => void seen.push(e.index) })
    const task = await runningTask(engine)
    remove()
    await engine.publishEvent(task.id, { type: 'x' })
    expect(seen).toEqual([0])
  })

  it('still prints an error to the console when the only onUnhandledError merely observes it', () => {
    const { engine } = memoryEngine()
    const observed: string[] = []
    const observer = { [OBSERVING_HOOKS]: true, onUnhandledError: (_error: unknown, context: { source: string }) => void observed.push(context.source) }
    engine.addHooks(observer)
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      engine.reportError(new Error('boom'), { source: 'broadcast' })
      expect(observed).toEqual(['broadcast'])
      expect(consoleError).toHaveBeenCalledTimes(1)
      expect(consoleError.mock.calls[0]![0]).toBe('[taskcast] unhandled error in broadcast')

      // A real reporter takes over from the console.
      engine.addHooks({ onUnhandledError: () => undefined })
      engine.reportError(new Error('boom'), { source: 'broadcast' })
      expect(consoleError).toHaveBeenCalledTimes(1)
      expect(observed).toEqual(['broadcast', 'broadcast'])
    } finally {
      consoleError.mockRestore()
    }
  })
})
