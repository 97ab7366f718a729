// The mock model of a scripted output, the UI message stream `streamText` makes of it, and the
// message the AI SDK rebuilds from a chunk stream.
import type { UIMessage, UIMessageChunk } from 'ai'
import type { MockLanguageModelV3 } from 'ai/test'
import type { AiSdk } from './ai-versions.js'
import type { Part } from './scripts.js'

export interface ModelOptions {
  /** Nothing streams until it resolves (the model "thinks" until a viewer is connected). */
  gate?: Promise<unknown>
  /** Between parts, as the model's tokens arrive. */
  chunkDelayInMs?: number
}

export interface ScriptedModel {
  model: MockLanguageModelV3
  /** The abort signal of each call of the model, in order. */
  calls: (AbortSignal | undefined)[]
}

export function scriptedModel(sdk: AiSdk, parts: Part[], options: ModelOptions = {}): ScriptedModel {
  const calls: (AbortSignal | undefined)[] = []
  const model = new sdk.MockLanguageModelV3({
    doStream: async ({ abortSignal }) => {
      calls.push(abortSignal)
      await options.gate
      return { stream: sdk.simulateReadableStream({ chunks: parts, chunkDelayInMs: options.chunkDelayInMs ?? null, initialDelayInMs: null }) }
    },
  })
  return { model, calls }
}

/** `streamText` over the model, with the one tool the scenarios call, as its UI message stream. */
export function uiStream(sdk: AiSdk, model: MockLanguageModelV3, abortSignal?: AbortSignal): ReadableStream<UIMessageChunk> {
  const weather = sdk.tool({
    description: 'The weather in a city',
    inputSchema: sdk.jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
    execute: async ({ city }) => ({ city, forecast: 'sunny', celsius: 21 }),
  })
  return sdk
    .streamText({ model, prompt: 'Hello?', tools: { weather }, ...(abortSignal && { abortSignal }), onError: () => {} })
    .toUIMessageStream()
}

/** The message as `readUIMessageStream` leaves it once the stream ends. */
export async function rebuiltMessage(sdk: AiSdk, stream: ReadableStream<UIMessageChunk>): Promise<UIMessage | undefined> {
  let message: UIMessage | undefined
  for await (const state of sdk.readUIMessageStream({ stream })) message = state
  return message
}
