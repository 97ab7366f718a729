// The "LLM" of the example: the AI SDK's own mock model (no network, no API key), answering
// every prompt with the same 300 deltas, one every `deltaDelayMs`. It logs when it is called,
// when its call is aborted (a Stop reached it) and when it streamed the whole answer.
import { simulateReadableStream } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'

export const DELTAS = 300
/** The answer, delta by delta: "Delta 1 of 300." then " Delta 2 of 300." … */
export const ANSWER_DELTAS = Array.from({ length: DELTAS }, (_, i) => `${i === 0 ? '' : ' '}Delta ${i + 1} of ${DELTAS}.`)

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: DELTAS, text: DELTAS, reasoning: 0 },
}

export function mockModel({ deltaDelayMs, log }) {
  return new MockLanguageModelV3({
    doStream: async ({ abortSignal }) => {
      let sent = 0
      log('model: called')
      abortSignal?.addEventListener('abort', () => log(`model: aborted after ${sent} of ${DELTAS} deltas`), { once: true })
      const parts = simulateReadableStream({
        chunks: [
          { type: 'stream-start', warnings: [] },
          { type: 'text-start', id: 'answer' },
          ...ANSWER_DELTAS.map((delta) => ({ type: 'text-delta', id: 'answer', delta })),
          { type: 'text-end', id: 'answer' },
          { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
        ],
        chunkDelayInMs: deltaDelayMs,
        initialDelayInMs: null,
      })
      const counted = new TransformStream({
        transform(part, controller) {
          if (part.type === 'text-delta') sent++
          if (part.type === 'finish') log(`model: streamed all ${sent} deltas`)
          controller.enqueue(part)
        },
      })
      return { stream: parts.pipeThrough(counted) }
    },
  })
}
