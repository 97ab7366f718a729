// The load generator's request side: raw node:http with keep-alive agents, nothing parsed that
// the scenario does not read.
import { Agent, request as httpRequest } from 'node:http'

const agents = new Map()

/** A keep-alive agent per (server, pool size), so concurrent workers reuse their sockets. */
function agentFor(base, sockets) {
  const key = `${base}#${sockets}`
  let agent = agents.get(key)
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets })
    agents.set(key, agent)
  }
  return agent
}

export function closeAgents() {
  for (const agent of agents.values()) agent.destroy()
  agents.clear()
}

/**
 * One HTTP request. `body` is sent as JSON (a string is sent as is).
 * @returns {Promise<{ status: number, text: string, ms: number }>}
 */
export function request(base, method, path, body, { sockets = 64, timeoutMs = 30_000 } = {}) {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  const url = new URL(path, base)
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        agent: agentFor(base, sockets),
        headers: payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
        timeout: timeoutMs,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode, text, ms: performance.now() - started }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(payload)
  })
}

/** A request that must answer `expected`; returns the parsed JSON body. */
export async function call(base, method, path, body, expected, options) {
  const response = await request(base, method, path, body, options)
  if (response.status !== expected) {
    throw new Error(`${method} ${path} → ${response.status} (expected ${expected}): ${response.text.slice(0, 300)}`)
  }
  return { json: response.text ? JSON.parse(response.text) : undefined, ms: response.ms }
}

/** Runs `count` jobs with at most `concurrency` in flight; `job(i)` returns a promise. */
export async function pool(count, concurrency, job) {
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      await job(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}
