// The seed README's embedded example, as written, plus a subscriber to prove it streams.
import { describe, expect, it } from 'vitest'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine } from '../src/index.js'

describe('README embedded example', () => {
  it('runs as written', async () => {
    const engine = new TaskEngine({
      broadcast: new MemoryBroadcastProvider(),
      shortTermStore: new MemoryShortTermStore(),
    })

    // Create a task
    const task = await engine.createTask({
      type: 'llm.chat',
      params: { prompt: 'Tell me a story' },
      ttl: 3600,
    })

    // Transition to running
    await engine.transitionTask(task.id, 'running')

    const received: unknown[] = []
    const done = new Promise((resolve) => {
      engine.subscribe(task.id, { types: ['llm.*'] }, { onEnvelope: (e) => received.push(e.data), onDone: resolve })
    })

    // Publish streaming events
    await engine.publishEvent(task.id, {
      type: 'llm.delta',
      level: 'info',
      data: { text: 'Once upon a time...' },
      seriesId: 'response',
      seriesMode: 'accumulate',
    })

    // Complete the task
    await engine.transitionTask(task.id, 'completed', {
      result: { output: 'Once upon a time... The End.' },
    })

    expect(await done).toBe('completed')
    expect(received).toEqual([
      { status: 'running', previousStatus: 'pending' },
      { text: 'Once upon a time...' },
      { status: 'completed', previousStatus: 'running', result: { output: 'Once upon a time... The End.' } },
    ])
    expect(await engine.getTask(task.id)).toMatchObject({ status: 'completed', result: { output: 'Once upon a time... The End.' } })
    await engine.stop()
  })
})
