// A replay goes at its reader's pace (`replayPause`), and what is published while it waits is
// delivered after it, in order and exactly once, however much that is.
import { describe, expect, it } from 'vitest'
import type { SSEEnvelope } from '../src/types.js'
import { memoryEngine, runningTask } from './helpers.js'

/** A reader whose socket is "full" until `resume()`: the replay must wait after each envelope. */
function pausingReader() {
  const envelopes: SSEEnvelope[] = []
  let release: (() => void) | undefined
  let paused = 0
  let done!: (status: string) => void
  const ended = new Promise<string>((resolve) => (done = resolve))
  const handlers = {
    onEnvelope: (envelope: SSEEnvelope) => envelopes.push(envelope),
    onDone: (status: string) => done(status),
    replayPause: () => {
      paused++
      return new Promise<void>((resolve) => (release = resolve))
    },
  }
  return {
    envelopes,
    handlers,
    ended,
    get paused() {
      return paused
    },
    resume: () => release?.(),
  }
}

describe('a paced replay', () => {
  it('delivers one envelope per window and waits for the reader in between', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvents(task.id, Array.from({ length: 5 }, (_, i) => ({ type: 'a', data: i })))
    const reader = pausingReader()
    engine.subscribe(task.id, {}, reader.handlers)
    await new Promise((resolve) => setImmediate(resolve))
    expect([reader.envelopes.length, reader.paused]).toEqual([1, 1])
    reader.resume()
    await new Promise((resolve) => setImmediate(resolve))
    expect([reader.envelopes.length, reader.paused]).toEqual([2, 2])
  })

  it('delivers what was published while it waited, past the live buffer too, in order and exactly once', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvents(task.id, Array.from({ length: 3 }, (_, i) => ({ type: 'old', data: i })))
    const reader = pausingReader()
    engine.subscribe(task.id, {}, reader.handlers)
    await new Promise((resolve) => setImmediate(resolve))
    // 2,500 events while the reader is stuck on the first replayed one: more than the buffer holds.
    for (let batch = 0; batch < 5; batch++) {
      await engine.publishEvents(task.id, Array.from({ length: 500 }, (_, i) => ({ type: 'new', data: batch * 500 + i })))
    }
    await engine.transitionTask(task.id, 'completed')
    const pump = setInterval(() => reader.resume(), 0)
    expect(await reader.ended).toBe('completed')
    clearInterval(pump)
    expect(reader.envelopes.map((e) => e.rawIndex)).toEqual(Array.from({ length: 2505 }, (_, i) => i))
    expect(reader.envelopes.map((e) => e.filteredIndex)).toEqual(Array.from({ length: 2505 }, (_, i) => i))
  })
})
