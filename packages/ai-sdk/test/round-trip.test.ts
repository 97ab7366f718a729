// The tests SPEC §22 asks for: for each scripted model output, the UI message that the AI SDK
// rebuilds from the chunks that went through Taskcast equals (deeply) the one it rebuilds from
// the direct stream: live (the transport connected before the model's first token) and for a
// late joiner (connected after the task ended, replaying one snapshot per part). Against the
// lowest and the newest `ai` 6.x, published by the engine and by the server SDK.
import type { UIMessageChunk } from 'ai'
import { describe, expect, it } from 'vitest'
import { AI_CHUNK_TYPE, publishUIMessageStream, STREAM_ERROR_CODES, TaskcastChatTransport, type PublishedUIMessageStream } from '../src/index.js'
import { AI_SDKS } from './support/ai-versions.js'
import { CHAT_PATH, chatServerForFile } from './support/chat-server.js'
import { rebuiltMessage, scriptedModel, uiStream } from './support/model.js'
import { PUBLISHERS } from './support/publishers.js'
import { SCENARIOS, words } from './support/scripts.js'
import { StreamWatch } from './support/stream-watch.js'
import { itemsOf, streamOf } from './support/streams.js'

const server = chatServerForFile()
let chats = 0

/** How `publishUIMessageStream` reports a stream whose chunks were `chunks`. */
function outcomeOf(chunks: UIMessageChunk[]): PublishedUIMessageStream {
  const error = chunks.find((chunk) => chunk.type === 'error')
  if (!error) return { status: 'completed', chunks: chunks.length }
  return { status: 'failed', chunks: chunks.length, error: { code: STREAM_ERROR_CODES.errorChunk, message: error.errorText } }
}

/** The accumulated parts of a stream: one delta chunk per part, with the part's whole text. */
function collapsedDeltas(chunks: UIMessageChunk[]): UIMessageChunk[] {
  const parts = new Map<string, UIMessageChunk & { type: 'text-delta' | 'reasoning-delta' }>()
  for (const chunk of chunks) {
    if (chunk.type !== 'text-delta' && chunk.type !== 'reasoning-delta') continue
    const key = `${chunk.type}:${chunk.id}`
    const part = parts.get(key)
    parts.set(key, part ? { ...part, delta: part.delta + chunk.delta } : chunk)
  }
  return [...parts.values()]
}

describe.each(AI_SDKS)('with $label', (sdk) => {
  describe.each(PUBLISHERS)('published by the $name', (kind) => {
    describe.each(SCENARIOS)('$name', (scenario) => {
      it('rebuilds the message of the direct stream, live and for a late joiner', async () => {
        const directChunks = await itemsOf(uiStream(sdk, scriptedModel(sdk, scenario.parts).model))
        const direct = await rebuiltMessage(sdk, streamOf(directChunks))

        const watch = new StreamWatch()
        const chatId = `chat-${++chats}`
        const published: Promise<PublishedUIMessageStream>[] = []
        server.onChat = async () => {
          const publisher = kind.of(server)
          const task = await publisher.createTask({ type: 'ai.chat' })
          // The model starts once the transport's stream is open: every chunk reaches it live.
          const { model } = scriptedModel(sdk, scenario.parts, { gate: watch.streamOpened(task.id) })
          published.push(publishUIMessageStream({ publisher, taskId: task.id, stream: (abortSignal) => uiStream(sdk, model, abortSignal) }))
          return task.id
        }
        const transport = new TaskcastChatTransport({ baseUrl: server.url, api: `${server.url}${CHAT_PATH}`, fetch: watch.fetch })
        const liveStream = await transport.sendMessages({ chatId, messages: [], trigger: 'submit-message', messageId: undefined, abortSignal: undefined })
        const liveChunks = await itemsOf(liveStream)
        expect(liveChunks).toEqual(directChunks)
        expect(await rebuiltMessage(sdk, streamOf(liveChunks))).toEqual(direct)
        expect(await published[0]).toEqual(outcomeOf(directChunks))

        const lateStream = await transport.reconnectToStream({ chatId })
        const lateChunks = await itemsOf(lateStream!)
        expect(lateChunks.filter((chunk) => chunk.type === 'text-delta' || chunk.type === 'reasoning-delta')).toEqual(collapsedDeltas(directChunks))
        expect(await rebuiltMessage(sdk, streamOf(lateChunks))).toEqual(direct)
      })
    })
  })
})

describe.each(AI_SDKS)('a late joiner of 5,000 deltas, with $label', (sdk) => {
  it('replays the answer as one snapshot event, not 5,000 deltas', async () => {
    const publisher = server.engine
    const task = await publisher.createTask({ type: 'ai.chat' })
    const { model } = scriptedModel(sdk, SCENARIOS.find((s) => s.name === '5,000 small deltas')!.parts)
    await publishUIMessageStream({ publisher, taskId: task.id, stream: (abortSignal) => uiStream(sdk, model, abortSignal) })

    const events: { type: string; seriesSnapshot?: boolean; data: unknown }[] = []
    const response = await fetch(`${server.url}/tasks/${task.id}/events?types=${AI_CHUNK_TYPE}&includeStatus=false`)
    const text = await response.text()
    for (const line of text.split('\n')) if (line.startsWith('data: {"filteredIndex"')) events.push(JSON.parse(line.slice(6)))
    const deltas = events.filter((event) => (event.data as UIMessageChunk).type === 'text-delta')
    expect(deltas).toEqual([expect.objectContaining({ seriesSnapshot: true, data: { type: 'text-delta', id: 't0', delta: words(5000).join('') } })])
  })
})
