// The bare reference: what the same job costs on node:http with no framework, no validation
// beyond the shape, no stores and no hooks. In-memory append, one JSON.stringify per event
// shared by every subscriber, one write per delivery. Same wire format as Taskcast (SPEC §8)
// for what the benchmark uses: create, transition, publish (one or a batch), SSE with replay
// (accumulate series collapsed into one snapshot on a late join), `: ping`, taskcast.done.
//
// Run: node --expose-gc --import ./bench/src/gc-preload.mjs bench/src/reference-server.mjs <port>
import { createServer } from 'node:http'

const port = Number(process.argv[2] ?? 0)
// The bench may shorten it (idle-10k), as Taskcast's sse.heartbeatMs.
const HEARTBEAT_MS = Number(process.env.TASKCAST_BENCH_HEARTBEAT_MS) || 15_000
const TERMINAL = new Set(['completed', 'failed', 'timeout', 'cancelled'])
const NEXT = { pending: ['running', 'cancelled'], running: ['completed', 'failed', 'timeout', 'cancelled'] }

/** id → { id, status, createdAt, updatedAt, events: [{ event, json }], series: Map, subscribers: Set<res> } */
const tasks = new Map()
let idCounter = 0
const newId = (now) => now.toString(36).padStart(10, '0') + (idCounter++).toString(36).padStart(16, '0')

function send(res, status, body) {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function envelopeJson(task, event, filteredIndex, data, snapshot) {
  let json =
    `{"filteredIndex":${filteredIndex},"rawIndex":${event.index},"eventId":"${event.id}",` +
    `"taskId":${JSON.stringify(task.id)},"type":${JSON.stringify(event.type)},"timestamp":${event.timestamp},` +
    `"level":"${event.level}","data":${JSON.stringify(data)}`
  if (event.seriesId !== undefined) json += `,"seriesId":${JSON.stringify(event.seriesId)},"seriesMode":"${event.seriesMode}"`
  if (snapshot) json += ',"seriesSnapshot":true'
  return json + '}'
}

const frameOf = (event, json) => `event: taskcast.event\nid: ${event.id}\ndata: ${json}\n\n`

function append(task, input, now) {
  const event = {
    id: newId(now),
    taskId: task.id,
    index: task.events.length,
    timestamp: now,
    type: input.type,
    level: input.level ?? 'info',
    data: input.data === undefined ? null : input.data,
  }
  if (input.seriesId !== undefined) {
    event.seriesId = input.seriesId
    event.seriesMode = input.seriesMode ?? 'keep-all'
    if (event.seriesMode === 'accumulate') {
      const field = input.seriesAccField ?? ('delta' in event.data ? 'delta' : 'text')
      const prev = task.series.get(event.seriesId)
      task.series.set(event.seriesId, { ...event.data, [field]: (prev?.[field] ?? '') + event.data[field] })
    }
  }
  // No filter in the benchmark: filteredIndex = rawIndex, so the frame is shared by every subscriber.
  const frame = frameOf(event, envelopeJson(task, event, event.index, event.data, false))
  task.events.push({ event, frame })
  for (const res of task.subscribers) res.write(frame)
  return event
}

function finish(task) {
  const done = `event: taskcast.done\ndata: {"reason":"${task.status}"}\n\n`
  for (const res of task.subscribers) res.end(done)
  task.subscribers.clear()
}

function stream(req, res, task) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' })
  const lastOfSeries = new Map()
  for (const { event } of task.events) if (event.seriesMode === 'accumulate') lastOfSeries.set(event.seriesId, event.index)
  let replay = ''
  for (const { event, frame } of task.events) {
    if (event.seriesMode === 'accumulate') {
      if (lastOfSeries.get(event.seriesId) !== event.index) continue
      replay += frameOf(event, envelopeJson(task, event, event.index, task.series.get(event.seriesId), true))
    } else {
      replay += frame
    }
    if (replay.length > 65536) {
      res.write(replay)
      replay = ''
    }
  }
  if (TERMINAL.has(task.status)) return res.end(replay + `event: taskcast.done\ndata: {"reason":"${task.status}"}\n\n`)
  if (replay) res.write(replay)
  task.subscribers.add(res)
  const ping = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS)
  res.on('close', () => {
    clearInterval(ping)
    task.subscribers.delete(res)
  })
}

async function handle(req, res) {
  const url = req.url
  const parts = url.split('?')[0].split('/')
  // ['', 'tasks', id, 'events' | 'status']
  if (req.method === 'GET' && url === '/health') return send(res, 200, { ok: true })
  if (parts[1] !== 'tasks') return send(res, 404, { error: { code: 'TASK_NOT_FOUND', message: 'not found' } })
  if (req.method === 'POST' && parts.length === 2) {
    const input = JSON.parse((await readBody(req)) || '{}')
    const now = Date.now()
    const task = { id: input.id ?? newId(now), status: 'pending', createdAt: now, updatedAt: now }
    if (input.type !== undefined) task.type = input.type
    if (tasks.has(task.id)) return send(res, 409, { error: { code: 'DUPLICATE_TASK', message: 'exists' } })
    tasks.set(task.id, { ...task, task, events: [], series: new Map(), subscribers: new Set() })
    return send(res, 201, task)
  }
  const record = tasks.get(parts[2])
  if (!record) return send(res, 404, { error: { code: 'TASK_NOT_FOUND', message: 'not found' } })
  if (req.method === 'PATCH' && parts[3] === 'status') {
    const { status, result, error } = JSON.parse(await readBody(req))
    if (!NEXT[record.status]?.includes(status)) return send(res, 400, { error: { code: 'INVALID_TRANSITION', message: 'no' } })
    const previousStatus = record.status
    const now = Date.now()
    record.status = record.task.status = status
    record.task.updatedAt = now
    if (TERMINAL.has(status)) record.task.completedAt = now
    if (result !== undefined) record.task.result = result
    append(record, { type: 'taskcast:status', data: { status, previousStatus, ...(result && { result }), ...(error && { error }) } }, now)
    if (TERMINAL.has(status)) finish(record)
    return send(res, 200, record.task)
  }
  if (req.method === 'POST' && parts[3] === 'events') {
    const body = JSON.parse(await readBody(req))
    if (record.status !== 'running') return send(res, 400, { error: { code: 'TASK_NOT_RUNNING', message: 'no' } })
    const inputs = Array.isArray(body) ? body : [body]
    for (const input of inputs) {
      if (typeof input?.type !== 'string' || input.type.startsWith('taskcast:')) {
        return send(res, 400, { error: { code: 'VALIDATION_ERROR', message: 'type' } })
      }
    }
    const now = Date.now()
    const events = inputs.map((input) => append(record, input, now))
    return send(res, 201, Array.isArray(body) ? events : events[0])
  }
  if (req.method === 'GET' && parts[3] === 'events') return stream(req, res, record)
  return send(res, 404, { error: { code: 'TASK_NOT_FOUND', message: 'not found' } })
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    if (!res.headersSent) send(res, 400, { error: { code: 'VALIDATION_ERROR', message: String(error?.message) } })
    else res.destroy()
  })
})
server.keepAliveTimeout = 60_000
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`reference listening on http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}\n`)
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
})
