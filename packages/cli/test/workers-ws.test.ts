// The standalone server serves WebSocket workers (GET /workers/ws, SPEC §18 push mode) through
// @hono/node-ws: hello, offer, accept, and the task given back when the socket closes.
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createLogger } from '../src/logger.js'
import { startServer } from '../src/server.js'

/** Messages of one socket, in arrival order. */
function inbox(socket: WebSocket): () => Promise<Record<string, unknown>> {
  const queue: Record<string, unknown>[] = []
  const waiting: ((message: Record<string, unknown>) => void)[] = []
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>
    const waiter = waiting.shift()
    if (waiter) waiter(message)
    else queue.push(message)
  })
  return () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve)))
}

describe('WebSocket workers in the standalone server', () => {
  it('offers a task to a connected worker and assigns it on accept; a closed socket gives it back', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1' }, { logger: createLogger({ write: () => undefined }) })
    try {
      const created = (await (
        await fetch(`${server.url}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'job', assign: {} }) })
      ).json()) as { id: string }
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}/workers/ws`)
      const next = inbox(socket)
      const closed = new Promise<number>((resolve) => socket.once('close', resolve))
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
      socket.send(JSON.stringify({ type: 'hello', workerId: 'cli-worker', types: ['job'], capacity: 1 }))
      expect(await next()).toMatchObject({ type: 'offer', task: { id: created.id, status: 'pending' } })
      socket.send(JSON.stringify({ type: 'accept', taskId: created.id }))
      expect(await next()).toMatchObject({ type: 'assigned', task: { id: created.id, status: 'assigned', assignedTo: { workerId: 'cli-worker' } } })
      const listed = (await (await fetch(`${server.url}/workers`)).json()) as { workers: unknown[] }
      expect(listed.workers).toEqual([expect.objectContaining({ workerId: 'cli-worker', mode: 'ws', assigned: 1, running: 0 })])

      socket.send('x'.repeat(70_000))
      expect(await closed).toBe(1009)
      for (let tries = 0; tries < 200; tries++) {
        const task = (await (await fetch(`${server.url}/tasks/${created.id}`)).json()) as { status: string }
        if (task.status === 'pending') break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      expect(((await (await fetch(`${server.url}/tasks/${created.id}`)).json()) as { status: string }).status).toBe('pending')
    } finally {
      await server.close()
    }
  })
})
