// Cancellation, both ways (SPEC §17, §22): the task's end, through anyone, aborts the model call
// and ends every stream of the answer with an `abort` chunk; Stop in the tab that asked cancels
// the task; a resumed stream's abort only closes that stream; the caller's own abort, the
// stream's own abort chunk and a stream that throws end the task as they should.
import { TaskcastClient } from '@taskcast/client'
import { STATUS_EVENT_TYPE, TaskcastError, type StatusEventData } from '@taskcast/core'
import type { UIMessageChunk } from 'ai'
import { describe, expect, it, vi } from 'vitest'
import { publishUIMessageStream, STOP_REASON, STREAM_ERROR_CODES, TaskcastChatTransport, type PublishedUIMessageStream } from '../src/index.js'
import { AI_SDKS } from './support/ai-versions.js'
import { CHAT_PATH, chatServerForFile } from './support/chat-server.js'
import { scriptedModel, uiStream, type ScriptedModel } from './support/model.js'
import { PUBLISHERS } from './support/publishers.js'
import { longAnswer } from './support/scripts.js'
import { itemsOf, streamOf } from './support/streams.js'

const server = chatServerForFile()
// 2,000 words at 5 ms: ten seconds of answer, far longer than any test waits.
const LONG = longAnswer(2000)
let chats = 0

/** Reads until the first text delta: the model is streaming. */
async function untilFirstDelta(reader: ReadableStreamDefaultReader<UIMessageChunk>): Promise<void> {
  for (let read = await reader.read(); !read.done; read = await reader.read()) if (read.value.type === 'text-delta') return
  throw new Error('the stream ended before its first delta')
}

/** The rest of a stream, to its end. */
async function rest(reader: ReadableStreamDefaultReader<UIMessageChunk>): Promise<UIMessageChunk[]> {
  const chunks: UIMessageChunk[] = []
  for (let read = await reader.read(); !read.done; read = await reader.read()) chunks.push(read.value)
  return chunks
}

/** The data of the task's last status event. */
async function lastStatus(taskId: string): Promise<StatusEventData> {
  const events = await server.engine.getEvents(taskId, { filter: { types: [STATUS_EVENT_TYPE] } })
  return events.at(-1)!.data as StatusEventData
}

describe.each(AI_SDKS)('with $label', (sdk) => {
  describe.each(PUBLISHERS)('published by the $name', (kind) => {
    /** A chat whose answer is the long one, started through the transport. */
    function longChat() {
      const chatId = `chat-${++chats}`
      const started: { taskId: string; model: ScriptedModel; published: Promise<PublishedUIMessageStream> }[] = []
      server.onChat = async () => {
        const publisher = kind.of(server)
        const task = await publisher.createTask({ type: 'ai.chat' })
        const model = scriptedModel(sdk, LONG, { chunkDelayInMs: 5 })
        const published = publishUIMessageStream({ publisher, taskId: task.id, stream: (abortSignal) => uiStream(sdk, model.model, abortSignal) })
        started.push({ taskId: task.id, model, published })
        return task.id
      }
      const transport = new TaskcastChatTransport({ baseUrl: server.url, api: `${server.url}${CHAT_PATH}` })
      return { chatId, transport, started }
    }

    it('aborts the model call when someone else cancels the task, and ends every stream with an abort chunk', async () => {
      const { chatId, transport, started } = longChat()
      const stream = await transport.sendMessages({ chatId, messages: [], trigger: 'submit-message', messageId: undefined, abortSignal: undefined })
      const reader = stream.getReader()
      await untilFirstDelta(reader)
      const [{ taskId, model, published }] = started as [(typeof started)[0]]
      const secondTab = (await transport.reconnectToStream({ chatId }))!

      await new TaskcastClient({ baseUrl: server.url }).cancel(taskId, 'enough')

      expect((await rest(reader)).at(-1)).toEqual({ type: 'abort', reason: 'enough' })
      expect((await itemsOf(secondTab)).at(-1)).toEqual({ type: 'abort', reason: 'enough' })
      expect(await published).toEqual({ status: 'cancelled', chunks: expect.any(Number) })
      const [signal] = model.calls
      expect(signal?.aborted).toBe(true)
      expect(TaskcastError.isInstance(signal?.reason) && signal.reason.details).toEqual({ taskId, status: 'cancelled', reason: 'enough' })
    })

    it('cancels the task on Stop in the tab that asked, which aborts the model call', async () => {
      const { chatId, transport, started } = longChat()
      const stop = new AbortController()
      const stream = await transport.sendMessages({ chatId, messages: [], trigger: 'submit-message', messageId: undefined, abortSignal: stop.signal })
      const reader = stream.getReader()
      await untilFirstDelta(reader)
      const [{ taskId, model, published }] = started as [(typeof started)[0]]

      stop.abort()

      expect(await published).toEqual({ status: 'cancelled', chunks: expect.any(Number) })
      expect(await lastStatus(taskId)).toEqual({ status: 'cancelled', previousStatus: 'running', reason: STOP_REASON })
      expect(model.calls[0]?.aborted).toBe(true)
      await expect(rest(reader)).rejects.toMatchObject({ name: 'AbortError' })
    })

    it('only closes a resumed stream on its abort: the task runs on', async () => {
      const { chatId, transport, started } = longChat()
      const first = (await transport.sendMessages({ chatId, messages: [], trigger: 'submit-message', messageId: undefined, abortSignal: undefined })).getReader()
      await untilFirstDelta(first)
      const [{ taskId, model, published }] = started as [(typeof started)[0]]
      const leaving = new AbortController()
      const resumed = (await transport.reconnectToStream({ chatId, abortSignal: leaving.signal }))!.getReader()
      await untilFirstDelta(resumed)

      leaving.abort()

      await expect(rest(resumed)).rejects.toMatchObject({ name: 'AbortError' })
      expect((await server.engine.getTask(taskId))?.status).toBe('running')
      expect(model.calls[0]?.aborted).toBe(false)
      expect(await transport.cancel(chatId)).toBe(true)
      expect(await published).toEqual({ status: 'cancelled', chunks: expect.any(Number) })
      expect(await transport.cancel(chatId)).toBe(false)
    })

    it('never starts the stream of a task that was cancelled before it began', async () => {
      const publisher = kind.of(server)
      const task = await publisher.createTask({ type: 'ai.chat' })
      await server.engine.cancelTask(task.id)
      const stream = vi.fn(() => streamOf<UIMessageChunk>([]))

      expect(await publishUIMessageStream({ publisher, taskId: task.id, stream })).toEqual({ status: 'cancelled', chunks: 0 })
      expect(stream).not.toHaveBeenCalled()
    })

    it("cancels the task when the caller's abortSignal fires, with its reason", async () => {
      const publisher = kind.of(server)
      const task = await publisher.createTask({ type: 'ai.chat' })
      const model = scriptedModel(sdk, LONG, { chunkDelayInMs: 5 })
      const shutdown = new AbortController()
      const published = publishUIMessageStream({
        publisher,
        taskId: task.id,
        abortSignal: shutdown.signal,
        stream: (abortSignal) => uiStream(sdk, model.model, abortSignal),
      })
      const transport = new TaskcastChatTransport({ baseUrl: server.url, api: CHAT_PATH, resolveTaskId: () => task.id })
      await untilFirstDelta((await transport.reconnectToStream({ chatId: 'any' }))!.getReader())

      shutdown.abort(new Error('the server is shutting down'))

      expect(await published).toEqual({ status: 'cancelled', chunks: expect.any(Number) })
      expect(await lastStatus(task.id)).toEqual({ status: 'cancelled', previousStatus: 'running', reason: 'the server is shutting down' })
      expect(model.calls[0]?.aborted).toBe(true)
    })
  })
})

describe.each(PUBLISHERS)('a stream published by the $name', (kind) => {
  const transport = (taskId: string) => new TaskcastChatTransport({ baseUrl: server.url, api: CHAT_PATH, resolveTaskId: () => taskId })

  it('that throws fails the task, and its readers get the error as a chunk', async () => {
    const publisher = kind.of(server)
    const task = await publisher.createTask({ type: 'ai.chat' })
    let pulls = 0
    const stream = new ReadableStream<UIMessageChunk>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue({ type: 'start' })
        else controller.error(new Error('the connection to the provider broke'))
      },
    })

    const error = { code: STREAM_ERROR_CODES.threw, message: 'the connection to the provider broke' }
    expect(await publishUIMessageStream({ publisher, taskId: task.id, stream })).toEqual({ status: 'failed', chunks: 1, error })
    expect(await itemsOf((await transport(task.id).reconnectToStream({ chatId: 'any' }))!)).toEqual([
      { type: 'start' },
      { type: 'error', errorText: 'the connection to the provider broke' },
    ])
  })

  it('that ends with its own abort chunk cancels the task, and its readers get that chunk once', async () => {
    const publisher = kind.of(server)
    const task = await publisher.createTask({ type: 'ai.chat' })
    const chunks: UIMessageChunk[] = [{ type: 'start' }, { type: 'abort', reason: 'aborted upstream' } as UIMessageChunk]

    expect(await publishUIMessageStream({ publisher, taskId: task.id, stream: streamOf(chunks) })).toEqual({ status: 'cancelled', chunks: 2 })
    expect(await lastStatus(task.id)).toEqual({ status: 'cancelled', previousStatus: 'running', reason: 'aborted upstream' })
    expect(await itemsOf((await transport(task.id).reconnectToStream({ chatId: 'any' }))!)).toEqual(chunks)
  })
})
