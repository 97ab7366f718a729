// The web side of the example: the page (index.html and the bundle from `node build.mjs`), the
// Taskcast API of the standalone server passed through under /taskcast, so that the page calls
// its own origin (no CORS to configure), and /llm, a slow stand-in for an LLM API that the
// agent calls.
//
//   node build.mjs && node server.mjs     # http://127.0.0.1:3000, Taskcast at 127.0.0.1:3721
//   PORT=0 node server.mjs                # a free port; "listening on <url>" says which
import { readFile } from 'node:fs/promises'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { proxy } from 'hono/proxy'
import { slowLlm } from './slow-llm.mjs'

const port = Number(process.env.PORT ?? 3000)
const hostname = process.env.HOST ?? '127.0.0.1'
const taskcastUrl = (process.env.TASKCAST_URL ?? 'http://127.0.0.1:3721').replace(/\/$/, '')
const llmWordDelayMs = Number(process.env.LLM_WORD_DELAY_MS ?? 150)

const read = (path) => readFile(new URL(path, import.meta.url), 'utf8')
const page = await read('./index.html')
const bundle = await read('./dist/app.js').catch(() => {
  console.error('dist/app.js is missing: run `node build.mjs` first')
  process.exit(1)
})

const app = new Hono()
app.get('/', (c) => c.html(page))
app.get('/app.js', (c) => c.body(bundle, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }))
app.post('/llm', slowLlm({ delayMs: llmWordDelayMs, log: console.log }))
// Streams (SSE included) pass through as they come. A page that goes away cancels the body it
// was reading, which closes the upstream stream too. The incoming request's signal is left out
// (`signal: null`): aborting the upstream fetch with it would fail that body instead, which
// the node server logs as an error, for what is only a closed tab.
app.all('/taskcast/*', (c) => {
  const { pathname, search } = new URL(c.req.url)
  return proxy(`${taskcastUrl}${pathname.slice('/taskcast'.length)}${search}`, { raw: c.req.raw, signal: null })
})

const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(`listening on http://${hostname}:${info.port}`)
})

function shutdown() {
  server.close(() => process.exit(0)) // stop accepting; exit once every connection is gone
  server.closeIdleConnections()
  setTimeout(() => server.closeAllConnections(), 1500).unref() // open streams of open pages
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
