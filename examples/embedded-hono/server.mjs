// Embedded mode: your own Hono app on Node, with the Taskcast API mounted under /taskcast,
// a route of your app that starts a job (a "story" streamed word by word into a task), and a
// page that follows the job with a plain EventSource.
//
//   node server.mjs            # http://127.0.0.1:3000
//   PORT=0 node server.mjs     # a free port; the line "listening on <url>" says which
import { readFile } from 'node:fs/promises'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine } from '@taskcast/core'
import { createTaskcastApp } from '@taskcast/server'

const port = Number(process.env.PORT ?? 3000)
const hostname = process.env.HOST ?? '127.0.0.1'
// Pause between two words of the story, so that you can watch it arrive.
const wordDelayMs = Number(process.env.WORD_DELAY_MS ?? 150)

const STORY = 'Once upon a time, a task streamed its story to every tab that asked, and nobody missed a word.'

const engine = new TaskEngine({
  broadcast: new MemoryBroadcastProvider(),
  shortTermStore: new MemoryShortTermStore(),
})
const taskcast = createTaskcastApp({ engine })

const app = new Hono()
const page = await readFile(new URL('./public/index.html', import.meta.url), 'utf8')
app.get('/', (c) => c.html(page))

// A route of your own app: it starts the job and answers at once with the task to follow.
app.post('/stories', async (c) => {
  const task = await engine.createTask({ type: 'story', params: { prompt: 'Tell me a story' }, ttl: 600 })
  void tellStory(task.id).catch((error) => console.error('story failed:', error))
  return c.json({ taskId: task.id }, 201)
})

// The Taskcast API (REST + SSE) under a prefix of your app.
app.route('/taskcast', taskcast)

/** The "LLM": publishes the story word by word into an accumulate series, then completes. */
async function tellStory(taskId) {
  await engine.transitionTask(taskId, 'running')
  const words = STORY.split(/(?<= )/) // keeps the spaces, so the deltas join back exactly
  for (const word of words) {
    await new Promise((resolve) => setTimeout(resolve, wordDelayMs))
    await engine.publishEvent(taskId, {
      type: 'llm.delta',
      data: { text: word },
      seriesId: 'story',
      seriesMode: 'accumulate',
    })
  }
  await engine.transitionTask(taskId, 'completed', { result: { words: words.length } })
}

const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  // Scripts (and the example's test) wait for this line.
  console.log(`listening on http://${hostname}:${info.port}`)
})

async function shutdown() {
  server.close(() => process.exit(0)) // stop accepting; exit once every connection is gone
  await taskcast.close() // end open SSE streams cleanly (clients resume with Last-Event-ID)
  await engine.stop() // stop timers, flush long-term writes (none here: memory only)
  server.closeIdleConnections()
  setTimeout(() => server.closeAllConnections(), 1500).unref() // keep-alive stragglers
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
