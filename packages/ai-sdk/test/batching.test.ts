// Chunks go out in batches: with the engine, each batch is one `publishEvents` (one store round
// trip); with the server SDK, through its idempotent producer (SPEC §19), so a batch sent again
// after its answer was lost is stored once.
import { STATUS_EVENT_TYPE } from '@taskcast/core'
import type { UIMessageChunk } from 'ai'
import { describe, expect, it, vi } from 'vitest'
import { AI_CHUNK_TYPE, publishUIMessageStream } from '../src/index.js'
import { chatServerForFile } from './support/chat-server.js'
import { PUBLISHERS } from './support/publishers.js'
import { streamOf } from './support/streams.js'

const server = chatServerForFile()

/** `start`, then `deltas` one-letter text deltas in one part, then `finish`. */
function letters(deltas: number): UIMessageChunk[] {
  return [
    { type: 'start' },
    { type: 'text-start', id: 't0' },
    ...Array.from({ length: deltas }, (_, i): UIMessageChunk => ({ type: 'text-delta', id: 't0', delta: String.fromCharCode(97 + (i % 26)) })),
    { type: 'text-end', id: 't0' },
    { type: 'finish' },
  ]
}

/** The chunks in the task's log, as published (deltas, not accumulated). */
async function loggedChunks(taskId: string): Promise<unknown[]> {
  return (await server.engine.getEvents(taskId, { filter: { types: [AI_CHUNK_TYPE], includeStatus: false } })).map((event) => event.data)
}

describe('publishing through the engine', () => {
  it('sends the chunks in batches of at most maxBatch, in order, each batch in one publishEvents', async () => {
    const publishEvents = vi.spyOn(server.engine, 'publishEvents')
    const task = await server.engine.createTask({ type: 'ai.chat' })
    const chunks = letters(21) // 25 chunks: 10 + 10 + 5

    // The stream is read at once; the linger gathers what arrived meanwhile.
    await publishUIMessageStream({ publisher: server.engine, taskId: task.id, stream: streamOf(chunks), batch: { maxBatch: 10, lingerMs: 20 } })

    const batches = publishEvents.mock.calls.filter(([taskId]) => taskId === task.id).map(([, inputs]) => inputs.length)
    expect(batches).toEqual([10, 10, 5])
    expect(await loggedChunks(task.id)).toEqual(chunks)
    publishEvents.mockRestore()
  })
})

describe('publishing through the server SDK', () => {
  it('stores every chunk once when the answer to a batch was lost and the batch went again', async () => {
    const sent: { seq: string | null; producer: string | null }[] = []
    let lost = 0
    // The first publish reaches the server and is stored; its answer is lost on the way back.
    const losingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (init?.method === 'POST' && String(input).endsWith('/events')) {
        const headers = new Headers(init.headers)
        sent.push({ seq: headers.get('Producer-Seq'), producer: headers.get('Producer-Id') })
        if (lost++ === 0) throw new TypeError('fetch failed')
      }
      return response
    }
    const publisher = PUBLISHERS.find((kind) => kind.name === 'server SDK')!.of(server, losingFetch)
    const task = await publisher.createTask({ type: 'ai.chat' })
    const chunks = letters(46) // 50 chunks: batches of 20 at seq 0, 20, 40

    const published = await publishUIMessageStream({ publisher, taskId: task.id, stream: streamOf(chunks), batch: { maxBatch: 20, lingerMs: 20 } })

    expect(published).toEqual({ status: 'completed', chunks: 50 })
    // Requests are pipelined: the others may go before or after the resend, and may be refused
    // for overtaking it and go again; the first batch always went twice.
    expect(new Set(sent.map(({ seq }) => seq))).toEqual(new Set(['0', '20', '40']))
    expect(sent.filter(({ seq }) => seq === '0').length).toBe(2)
    expect(new Set(sent.map(({ producer }) => producer)).size).toBe(1)
    expect(await loggedChunks(task.id)).toEqual(chunks)
    const statuses = await server.engine.getEvents(task.id, { filter: { types: [STATUS_EVENT_TYPE] } })
    expect(statuses.map((event) => (event.data as { status: string }).status)).toEqual(['running', 'completed'])
  })
})
