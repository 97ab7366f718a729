// A Stop reaches the model call (SPEC §17, §22): an answer is published by
// `publishUIMessageStream` (server SDK publisher) from this process into a standalone taskcast
// process; someone else cancels the task through that server's API; the abort signal that
// `streamText` gave the mock model fires within 1 s (each round's latency is measured and
// printed), the answer's readers end with an `abort` chunk, and the publish reports `cancelled`.
import { TaskcastChatTransport, publishUIMessageStream } from '@taskcast/ai-sdk'
import { TaskcastServerClient } from '@taskcast/server-sdk'
import { simulateReadableStream, streamText, type UIMessageChunk } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { printSummary } from './support/sequence.js'
import { TaskcastServer } from './support/taskcast-process.js'

const ROUNDS = 10
const MAX_LATENCY_MS = 1000
// 5,000 words at 10 ms each: the answer would take 50 s; every round cancels it early.
const WORDS = 5000

type StreamPart = Awaited<ReturnType<MockLanguageModelV3['doStream']>>['stream'] extends ReadableStream<infer P> ? P : never

function longAnswer(): StreamPart[] {
  const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: WORDS, text: WORDS, reasoning: 0 } }
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't0' },
    ...Array.from({ length: WORDS }, (_, i): StreamPart => ({ type: 'text-delta', id: 't0', delta: ` w${i}` })),
    { type: 'text-end', id: 't0' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
  ]
}

/** A mock model that hands the test the abort signal of its call once it streams. */
function modelTellingItsSignal(): { model: MockLanguageModelV3; signal: Promise<AbortSignal> } {
  let tell!: (signal: AbortSignal) => void
  const signal = new Promise<AbortSignal>((resolve) => (tell = resolve))
  const model = new MockLanguageModelV3({
    doStream: async ({ abortSignal }) => {
      tell(abortSignal!)
      return { stream: simulateReadableStream({ chunks: longAnswer(), chunkDelayInMs: 10, initialDelayInMs: null }) }
    },
  })
  return { model, signal }
}

/** Resolves with the moment `signal` aborts. */
function abortedAt(signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(performance.now()), { once: true }))
}

/** A fetch that counts the SSE streams it opened (the publisher's watch of its task). */
function countingStreams(): { fetch: typeof fetch; opened(count: number): Promise<void> } {
  let opened = 0
  const waiters = new Set<() => void>()
  return {
    fetch: async (input, init) => {
      const response = await fetch(input, init)
      if ((init?.method ?? 'GET') === 'GET' && new URL(String(input)).pathname.endsWith('/events')) {
        opened++
        for (const waiter of [...waiters]) waiter()
      }
      return response
    },
    opened: (count) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (opened < count) return
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
        check()
      }),
  }
}

/** Reads until the first text delta: the answer is streaming. */
async function untilFirstDelta(reader: ReadableStreamDefaultReader<UIMessageChunk>): Promise<void> {
  for (let read = await reader.read(); !read.done; read = await reader.read()) if (read.value.type === 'text-delta') return
  throw new Error('the answer ended before its first delta')
}

async function lastChunk(reader: ReadableStreamDefaultReader<UIMessageChunk>): Promise<UIMessageChunk | undefined> {
  let last: UIMessageChunk | undefined
  for (let read = await reader.read(); !read.done; read = await reader.read()) last = read.value
  return last
}

describe('an answer published into a standalone server', () => {
  it(`has its model call aborted within ${MAX_LATENCY_MS} ms of a cancel through the server's API`, async () => {
    const server = await TaskcastServer.start('ai-sdk', { adapters: { shortTerm: { provider: 'sqlite', path: 'taskcast.db' } } })
    const latencies: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const streams = countingStreams()
      const publisher = new TaskcastServerClient({ baseUrl: server.url, fetch: streams.fetch })
      const task = await publisher.createTask({ type: 'ai.chat' })
      const { model, signal } = modelTellingItsSignal()
      const published = publishUIMessageStream({
        publisher,
        taskId: task.id,
        stream: (abortSignal) => streamText({ model, prompt: 'Tell me everything.', abortSignal }).toUIMessageStream(),
      })
      const viewer = new TaskcastChatTransport({ baseUrl: server.url, api: '/unused', resolveTaskId: () => task.id })
      const reader = (await viewer.reconnectToStream({ chatId: 'chat' }))!.getReader()
      await untilFirstDelta(reader)
      const modelSignal = await signal
      const abort = abortedAt(modelSignal)
      // The publisher's watch of its task is connected: a cancel from here on is heard live.
      await streams.opened(1)

      const cancelledAt = performance.now()
      const answer = await fetch(`${server.url}/tasks/${task.id}/cancel`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ reason: `stop ${round}` }),
      })
      expect(answer.status).toBe(200)
      latencies.push((await abort) - cancelledAt)

      expect(await lastChunk(reader)).toEqual({ type: 'abort', reason: `stop ${round}` })
      expect(await published).toEqual({ status: 'cancelled', chunks: expect.any(Number) })
      expect((await publisher.getTask(task.id))?.status).toBe('cancelled')
    }
    const sorted = [...latencies].sort((x, y) => x - y)
    const round1 = (ms: number): number => Math.round(ms * 10) / 10
    printSummary({
      scenario: 'publishUIMessageStream model call aborted, cancel through the API of a standalone server',
      rounds: ROUNDS,
      latencyMsP50: round1(sorted[Math.floor(ROUNDS / 2)]!),
      latencyMsMax: round1(sorted.at(-1)!),
      latenciesMs: latencies.map(round1),
    })
    expect(sorted.at(-1)!).toBeLessThan(MAX_LATENCY_MS)
  })
})
