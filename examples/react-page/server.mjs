// Serves the React page (index.html and the bundle from `node build.mjs`) and, on the same
// origin, the Taskcast API under /taskcast plus a /stories route that starts a job.
//
//   node build.mjs && node server.mjs     # http://127.0.0.1:3000
//   PORT=0 node server.mjs                # a free port; "listening on <url>" says which
import { readFile } from 'node:fs/promises'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine } from '@taskcast/core'
import { createTaskcastApp } from '@taskcast/server'

const port = Number(process.env.PORT ?? 3000)
const hostname = process.env.HOST ?? '127.0.0.1'
const wordDelayMs = Number(process.env.WORD_DELAY_MS ?? 150)

const STORY = 'Once upon a time, a React page reloaded in the middle of a story and still read every word exactly once.'

const read = (path) => readFile(new URL(path, import.meta.url), 'utf8')
const page = await read('./index.html')
const bundle = await read('./dist/app.js').catch(() => {
  console.error('dist/app.js is missing: run `node build.mjs` first')
  process.exit(1)
})

const engine = new TaskEngine({
  broadcast: new MemoryBroadcastProvider(),
  shortTermStore: new MemoryShortTermStore(),
})
const taskcast = createTaskcastApp({ engine })

const app = new Hono()
app.get('/', (c) => c.html(page))
app.get('/app.js', (c) => c.body(bundle, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }))
app.post('/stories', async (c) => {
  const task = await engine.createTask({ type: 'story', ttl: 600 })
  void tellStory(task.id).catch((error) => console.error('story failed:', error))
  return c.json({ taskId: task.id }, 201)
})
app.route('/taskcast', taskcast)

/** The "LLM": the story word by word into the accumulate series `story`, then completed. */
async function tellStory(taskId) {
  await engine.transitionTask(taskId, 'running')
  for (const word of STORY.split(/(?<= )/)) {
    await new Promise((resolve) => setTimeout(resolve, wordDelayMs))
    await engine.publishEvent(taskId, { type: 'llm.delta', data: { text: word }, seriesId: 'story', seriesMode: 'accumulate' })
  }
  await engine.transitionTask(taskId, 'completed')
}

const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
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
