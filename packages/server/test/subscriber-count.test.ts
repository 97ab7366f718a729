// GET /tasks/:id → subscribers (SPEC §21): the open streams of the task, counted when asked.
import { afterEach, describe, expect, it } from 'vitest'
import { createTaskcastApp } from '../src/index.js'
import { makeEngine, startServer, waitFor } from './harness.js'
import { SseReader } from './sse-reader.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('GET /tasks/:id subscribers', () => {
  it('counts the open streams of the task, and only of that task', async () => {
    const { engine } = makeEngine()
    const app = createTaskcastApp({ engine })
    const server = await startServer(app.fetch)
    cleanups.push(async () => {
      await app.close()
      await server.close()
      await engine.stop()
    })
    const subscribers = async (taskId: string) =>
      ((await (await fetch(`${server.url}/tasks/${taskId}`)).json()) as { subscribers: number }).subscribers
    const task = await engine.createTask()
    const other = await engine.createTask()
    await engine.transitionTask(task.id, 'running')
    expect(await subscribers(task.id)).toBe(0)
    const readers = await Promise.all([1, 2, 3].map(() => SseReader.open(`${server.url}/tasks/${task.id}/events`)))
    const pendingReader = await SseReader.open(`${server.url}/tasks/${other.id}/events`)
    for (const reader of [...readers, pendingReader]) cleanups.push(() => reader.cancel())
    expect(await subscribers(task.id)).toBe(3)
    expect(await subscribers(other.id)).toBe(1)
    await readers[0]!.cancel()
    await waitFor(async () => (await subscribers(task.id)) === 2, 'the closed stream to be released')
    await engine.transitionTask(task.id, 'completed')
    await Promise.all(readers.slice(1).map((reader) => reader.readUntilDone()))
    await waitFor(async () => (await subscribers(task.id)) === 0, 'the finished streams to end')
  })
})
