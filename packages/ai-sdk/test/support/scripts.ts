// Scripted model outputs (LanguageModelV3 stream parts) for the mock model, and the text each
// one produces, for the scenarios every test runs.
import type { MockLanguageModelV3 } from 'ai/test'

/** A stream part of a LanguageModelV3 (`@ai-sdk/provider`, which `ai` depends on but does not re-export). */
type StreamResult = Awaited<ReturnType<MockLanguageModelV3['doStream']>>
export type Part = StreamResult['stream'] extends ReadableStream<infer P> ? P : never

const usage = {
  inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 34, text: 34, reasoning: 0 },
}
const finish = (unified: 'stop' | 'tool-calls'): Part => ({ type: 'finish', finishReason: { unified, raw: unified }, usage })
const opening: Part[] = [
  { type: 'stream-start', warnings: [] },
  { type: 'response-metadata', id: 'response-1', modelId: 'mock-model', timestamp: new Date(0) },
]

function textPart(id: string, deltas: string[]): Part[] {
  return [{ type: 'text-start', id }, ...deltas.map((delta): Part => ({ type: 'text-delta', id, delta })), { type: 'text-end', id }]
}

/** `count` words, each its own delta: "w0 w1 w2 …". */
export function words(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${i === 0 ? '' : ' '}w${i}`)
}

export interface Scenario {
  name: string
  parts: Part[]
}

export const SCENARIOS: Scenario[] = [
  { name: 'text only', parts: [...opening, ...textPart('t0', ['Hello', ', ', 'world', '!']), finish('stop')] },
  {
    name: 'text and reasoning',
    parts: [
      ...opening,
      { type: 'reasoning-start', id: 'r0' },
      ...['The user ', 'says hello', '.'].map((delta): Part => ({ type: 'reasoning-delta', id: 'r0', delta })),
      { type: 'reasoning-end', id: 'r0' },
      ...textPart('t0', ['Hi ', 'there', '.']),
      finish('stop'),
    ],
  },
  {
    name: 'a tool call and its result',
    parts: [
      ...opening,
      ...textPart('t0', ['Let me ', 'check.']),
      { type: 'tool-input-start', id: 'call-1', toolName: 'weather' },
      ...['{"ci', 'ty":"Pa', 'ris"}'].map((delta): Part => ({ type: 'tool-input-delta', id: 'call-1', delta })),
      { type: 'tool-input-end', id: 'call-1' },
      { type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: '{"city":"Paris"}' },
      finish('tool-calls'),
    ],
  },
  {
    name: 'an error mid-stream',
    parts: [
      ...opening,
      { type: 'text-start', id: 't0' },
      { type: 'text-delta', id: 't0', delta: 'Half an ' },
      { type: 'error', error: new Error('the provider is overloaded') },
      { type: 'text-delta', id: 't0', delta: 'answer' },
      { type: 'text-end', id: 't0' },
      finish('stop'),
    ],
  },
  { name: '5,000 small deltas', parts: [...opening, ...textPart('t0', words(5000)), finish('stop')] },
]

/** A long answer, one word per delta: it streams for `count` × the model's chunk delay. */
export function longAnswer(count: number): Part[] {
  return [...opening, ...textPart('t0', words(count)), finish('stop')]
}
