// Scale curve of one task's log: a running task whose log grows 1k → 100k → 1M events (smoke
// 1k → 10k; on Redis up to 100k), published in batches of 1,000, one at a time: 9 of 10
// `llm.delta` with 60 characters of text, 1 of 10 `tool.call`. At each length, over sequential
// requests after a warm-up, the p50 of the client's time from sending the request to the first
// event frame (or, for history, to the whole answer):
//   - a resume by `since.index` with a types filter (`types=tool.call`, five matching events
//     from the end: a dashboard that follows tool calls, coming back);
//   - a resume by `since.id` of the event five from the end, no filter (an EventSource reconnecting);
//   - the history page of the last 50 events (`since.index` + `limit`).
// Each stream is closed after its first frame; the task stays running. A warm-up round on a task
// deleted afterwards comes first. Memory: the server's RSS
// (and JS heap) growth per stored event since the task started, between forced full GCs, beside
// the average JSON size of a stored event (the last history page, JSON.stringify'd). A cost that
// grows with the log's length shows as a p50 that grows with the step. Integrity: each first
// frame, and each history page, must be exactly the event(s) expected (rawIndex and
// filteredIndex). Taskcast only: the reference has no filters, cursors or history.
import { call } from '../http-client.mjs'
import { SseSubscriber } from '../sse-client.mjs'
import { createRunningTask, mergeIntegrity, percentile, taskId } from './common.mjs'
import { scaleSteps, stepName } from './scale-steps.mjs'

const BATCH = 1000
const SAMPLES = 30
const WARMUP = 3
const PAGE = 50
const FROM_END = 5
const FIRST_FRAME_TIMEOUT_MS = 30_000
const TEXT = 'the quick brown fox jumps over the lazy dog, again and again'

/** The `i`-th published event: every tenth a tool call. */
function event(i) {
  if (i % 10 === 9) return { type: 'tool.call', data: { name: 'search', args: { query: 'weather in Paris', n: i } } }
  return { type: 'llm.delta', data: { text: TEXT, n: i } }
}

/**
 * Opens an SSE stream and resolves with the first event frame's envelope and the time from the
 * request being sent to that frame; the connection is closed then.
 * @returns {Promise<{ ms: number, envelope: { rawIndex: number, filteredIndex: number, eventId: string } }>}
 */
function firstFrame(base, path) {
  return new Promise((resolve, reject) => {
    let sent = performance.now()
    let done = false
    const timer = setTimeout(() => settle(new Error(`GET ${path}: no event within ${FIRST_FRAME_TIMEOUT_MS} ms`)), FIRST_FRAME_TIMEOUT_MS)
    const settle = (error, value) => {
      if (done) return
      done = true
      clearTimeout(timer)
      subscriber.close()
      if (error) reject(error)
      else resolve(value)
    }
    const subscriber = new SseSubscriber(base, path, {
      expected: [],
      onFrameText: (text) => {
        const ms = performance.now() - sent
        settle(undefined, { ms, envelope: JSON.parse(text.slice(text.indexOf('\ndata: ') + 7)) })
      },
    })
    subscriber.open().catch((error) => settle(error))
    // The request is written on 'connect' (the subscriber's listener runs first).
    subscriber.socket.once('connect', () => (sent = performance.now()))
    subscriber.ended.then(() => settle(new Error(`GET ${path}: stream ended before its first event`)))
  })
}

/** WARMUP + SAMPLES sequential runs of `once`; returns the measured p50 and the mismatches. */
async function sample(once) {
  const times = []
  let unexpected = 0
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const { ms, ok } = await once()
    if (!ok) unexpected++
    if (i >= WARMUP) times.push(ms)
  }
  return { p50: percentile(times, 50), unexpected }
}

/** The three reads at the log's current length. `log` holds what was published. */
async function measureReads(server, id, log) {
  const length = log.length
  // With includeStatus left at its default the running status (rawIndex 0) passes the types filter.
  const filtered = [0, ...log.toolCalls]
  const resumeAt = filtered.length - FROM_END
  const byIndex = await sample(async () => {
    const { ms, envelope } = await firstFrame(server.base, `/tasks/${id}/events?types=tool.call&since.index=${resumeAt - 1}`)
    return { ms, ok: envelope.filteredIndex === resumeAt && envelope.rawIndex === filtered[resumeAt] }
  })
  const after = log.lastBatch.at(-1 - FROM_END)
  const byId = await sample(async () => {
    const { ms, envelope } = await firstFrame(server.base, `/tasks/${id}/events?since.id=${after.id}`)
    return { ms, ok: envelope.rawIndex === after.index + 1 && envelope.filteredIndex === after.index + 1 }
  })
  let page = []
  const history = await sample(async () => {
    const { json, ms } = await call(server.base, 'GET', `/tasks/${id}/events/history?since.index=${length - PAGE - 1}&limit=${PAGE}`, undefined, 200)
    page = json
    const ok = json.length === PAGE && json.every((e, k) => e.index === length - PAGE + k)
    return { ms, ok }
  })
  const jsonBytes = page.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0) / Math.max(1, page.length)
  return { byIndex, byId, history, jsonBytes }
}

/** Publishes events up to `count` (batches of BATCH, one at a time), recording what was stored. */
async function grow(server, id, count, log) {
  while (log.published < count) {
    const size = Math.min(BATCH, count - log.published)
    const batch = Array.from({ length: size }, (_, k) => event(log.published + k))
    const { json: stored } = await call(server.base, 'POST', `/tasks/${id}/events`, batch, 201, { sockets: 1 })
    for (const e of stored) if (e.type === 'tool.call') log.toolCalls.push(e.index)
    log.lastBatch = stored
    log.published += size
    log.length = log.published + 1
  }
}

const newLog = () => ({ published: 0, length: 1, toolCalls: [], lastBatch: [] })

/** An unmeasured round on a task deleted afterwards, so that the first step does not pay for the server's one-off growth. */
async function warmUp(server) {
  const id = await createRunningTask(server.base, taskId('scale-log-warm'))
  const log = newLog()
  await grow(server, id, 2000, log)
  const reads = await measureReads(server, id, log)
  await call(server.base, 'DELETE', `/tasks/${id}`, undefined, 204)
  return reads.byIndex.unexpected + reads.byId.unexpected + reads.history.unexpected
}

export async function scaleLog(server, { smoke }) {
  if (server.kind === 'reference') return { metrics: [], integrity: mergeIntegrity() }
  let unexpected = await warmUp(server)
  const id = await createRunningTask(server.base, taskId('scale-log'))
  const start = await server.gc()
  const log = newLog()
  const metrics = []
  let streams = 2 * (WARMUP + SAMPLES)
  let last
  for (const count of scaleSteps(server, smoke)) {
    const name = stepName(count)
    const before = log.published
    const started = performance.now()
    await grow(server, id, count, log)
    const publishSeconds = (performance.now() - started) / 1000
    const stored = await server.gc()
    const reads = await measureReads(server, id, log)
    unexpected += reads.byIndex.unexpected + reads.byId.unexpected + reads.history.unexpected
    streams += 2 * (WARMUP + SAMPLES)
    const rssPerEvent = (stored.rss - start.rss) / count
    last = { rssPerEvent, jsonBytes: reads.jsonBytes }
    metrics.push(
      { key: `resume_index_p50_ms_${name}`, label: `resume since.index + types filter, first frame p50, ${name} events`, value: reads.byIndex.p50, unit: 'ms', better: 'lower' },
      { key: `resume_id_p50_ms_${name}`, label: `resume since.id, first frame p50, ${name} events`, value: reads.byId.p50, unit: 'ms', better: 'lower' },
      { key: `history_p50_ms_${name}`, label: `history page of the last ${PAGE} p50, ${name} events`, value: reads.history.p50, unit: 'ms', better: 'lower' },
      { key: `rss_bytes_per_event_${name}`, label: `server RSS per stored event, ${name} events`, value: rssPerEvent, unit: 'B', better: 'lower' },
      { key: `heap_bytes_per_event_${name}`, label: `JS heap per stored event, ${name} events`, value: (stored.heapUsed - start.heapUsed) / count, unit: 'B', better: 'lower' },
      { key: `publish_events_per_s_${name}`, label: `events published/s up to ${name} (batches of ${BATCH})`, value: (count - before) / publishSeconds, unit: '/s', better: 'higher' },
    )
  }
  metrics.push(
    { key: 'event_json_bytes', label: 'JSON size of a stored event (average)', value: last.jsonBytes, unit: 'B', better: 'lower' },
    { key: 'memory_vs_json', label: 'server RSS per stored event / its JSON size, longest log', value: last.rssPerEvent / last.jsonBytes, unit: '×', better: 'lower' },
  )
  return { integrity: mergeIntegrity({ subscribers: streams, unexpected }), metrics }
}
