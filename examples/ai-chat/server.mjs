// The app: a Hono server with Taskcast embedded (its API under /taskcast), a chat store in
// memory, and the route that answers a chat message by starting a task and running
// `streamText` into it with `publishUIMessageStream`. The page (index.html and the bundle from
// `node build.mjs`) follows the task with `useChat` and `TaskcastChatTransport`.
//
//   node build.mjs && node server.mjs     # http://127.0.0.1:3000
//   PORT=0 node server.mjs                # a free port; "listening on <url>" says which
import { readFile } from 'node:fs/promises'
import { serve } from '@hono/node-server'
import { publishUIMessageStream } from '@taskcast/ai-sdk'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine } from '@taskcast/core'
import { createTaskcastApp } from '@taskcast/server'
import { convertToModelMessages, readUIMessageStream, streamText } from 'ai'
import { Hono } from 'hono'
import { mockModel } from './mock-model.mjs'

const port = Number(process.env.PORT ?? 3000)
const hostname = process.env.HOST ?? '127.0.0.1'
// Pause between two deltas of the answer, so that there is time to reload, open a tab, stop.
const deltaDelayMs = Number(process.env.DELTA_DELAY_MS ?? 40)

const read = (path) => readFile(new URL(path, import.meta.url), 'utf8')
const page = await read('./index.html')
const bundle = await read('./dist/app.js').catch(() => {
  console.error('dist/app.js is missing: run `node build.mjs` first')
  process.exit(1)
})

const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore() })

/**
 * The app's chats, by id: the messages of each, and the task of the answer in progress. Both are
 * read in one answer, so a page that loads them sees either the answer stored or its task.
 */
const chats = new Map()
const chatOf = (id) => chats.get(id) ?? chats.set(id, { messages: [], activeTaskId: null }).get(id)

/** Starts the answer to `messages` in a task; stores the answer when the task ends. */
async function answer(chat, chatId, messages) {
  const task = await engine.createTask({ type: 'ai.chat', ttl: 600 })
  chat.messages = messages
  chat.activeTaskId = task.id
  console.log(`chat ${chatId}: task ${task.id}`)
  let answered
  const published = publishUIMessageStream({
    publisher: engine,
    taskId: task.id,
    // The signal aborts when the task is cancelled (Stop, in any tab): it stops the model call.
    stream: async (abortSignal) => {
      const result = streamText({ model: mockModel({ deltaDelayMs, log: console.log }), messages: await convertToModelMessages(messages), abortSignal })
      const stream = result.toUIMessageStream({ originalMessages: messages, generateMessageId: () => `answer-${task.id}` })
      // One copy for the task, one to keep the answer as the AI SDK rebuilds it.
      const [forTask, forStore] = stream.tee()
      answered = (async () => {
        let message
        for await (const state of readUIMessageStream({ stream: forStore })) message = state
        return message
      })()
      return forTask
    },
  })
  void published.then(
    async ({ status }) => {
      const message = await answered
      chat.messages = message && message.parts.length > 0 ? [...messages, message] : messages
      chat.activeTaskId = null
      console.log(`task ${task.id}: ${status}`)
    },
    (error) => console.error(`task ${task.id} failed to publish:`, error),
  )
  return task.id
}

const app = new Hono()
app.get('/', (c) => c.html(page))
app.get('/app.js', (c) => c.body(bundle, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }))
app.get('/api/chats/:id', (c) => c.json(chatOf(c.req.param('id'))))
// What TaskcastChatTransport posts: the chat's id and messages, as the AI SDK's own transport does.
app.post('/api/chat', async (c) => {
  const { id, messages } = await c.req.json()
  return c.json({ taskId: await answer(chatOf(id), id, messages) })
})
app.route('/taskcast', createTaskcastApp({ engine }))

const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(`listening on http://${hostname}:${info.port}`)
})

function shutdown() {
  server.close(() => engine.stop().then(() => process.exit(0))) // stop accepting; exit once every connection is gone
  server.closeIdleConnections()
  setTimeout(() => server.closeAllConnections(), 1500).unref() // open streams of open pages
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
