// The config's blocks reach the server and the engine: webhook, cleanup, limits, custom auth,
// and startServer() from code.
import { createServer, type IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { startServer } from '../src/server.js'
import { createLogger } from '../src/logger.js'
import { IN_MEMORY_NOTE } from './helpers/banner.js'
import { api, roundTrip } from './helpers/http.js'
import { spawnTaskcast, tempProject } from './helpers/taskcast-process.js'

const LOOPBACK = ['-p', '0', '--host', '127.0.0.1']

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

describe('config blocks', () => {
  it('webhook.endpoints receive every event, and cleanup rules delete finished tasks', async () => {
    const deliveries: string[] = []
    let delivered: () => void
    const allDelivered = new Promise<void>((resolve) => {
      delivered = resolve
    })
    const receiver = createServer((request, response) => {
      void readBody(request).then((body) => {
        deliveries.push(`${request.headers['x-taskcast-event']} ${JSON.stringify(JSON.parse(body).data)}`)
        response.writeHead(204).end()
        if (deliveries.length === 2) delivered()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`
    try {
      const dir = await tempProject({
        'taskcast.config.yaml': [
          'webhook:',
          '  endpoints:',
          `    - url: ${hookUrl}`,
          '      filter: { types: ["llm.*"], includeStatus: false }',
          '      retry: { retries: 0 }',
          'cleanup:',
          '  rules:',
          '    - trigger: { afterMs: 0 }',
          '      target: all',
        ].join('\n'),
      })
      const proc = spawnTaskcast({ cwd: dir, args: LOOPBACK })
      const url = await proc.listening
      const taskId = await roundTrip(url)
      await allDelivered
      expect(deliveries).toEqual(['llm.delta {"text":"Once"}', 'llm.delta {"text":" upon"}'])

      // The rule fires right after the task turned terminal; there is no event to await over HTTP.
      let status = 200
      for (let attempt = 0; attempt < 50 && status !== 404; attempt++) {
        status = (await api(url, 'GET', `/tasks/${taskId}`)).status
        if (status !== 404) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(status).toBe(404)
      expect((await proc.stop()).code).toBe(0)
    } finally {
      receiver.close()
    }
  })

  it('limits.maxBodyBytes caps request bodies', async () => {
    const dir = await tempProject({ 'taskcast.config.json': JSON.stringify({ limits: { maxBodyBytes: 64 } }) })
    const proc = spawnTaskcast({ cwd: dir, args: LOOPBACK })
    const url = await proc.listening
    expect((await api(url, 'POST', '/tasks', { type: 'x'.repeat(100) })).status).toBe(413)
    expect((await api(url, 'POST', '/tasks', { type: 'small' })).status).toBe(201)
    expect((await proc.stop()).code).toBe(0)
  })

  it('cors lets browsers on the listed origin call the API', async () => {
    const dir = await tempProject({ 'taskcast.config.yaml': 'cors:\n  origin: ["https://app.example"]\n' })
    const proc = spawnTaskcast({ cwd: dir, args: LOOPBACK })
    const url = await proc.listening
    const preflight = await fetch(`${url}/tasks`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example')
    const other = await fetch(`${url}/health`, { headers: { Origin: 'https://evil.example' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    expect((await proc.stop()).code).toBe(0)
  })

  it('a .ts config can authenticate requests itself (auth.mode custom)', async () => {
    const dir = await tempProject({
      'taskcast.config.ts': `
        export default {
          auth: {
            authenticate: async (request: Request) =>
              request.headers.get('x-api-key') === 'let-me-in' ? { taskIds: '*', scope: ['*'], claims: {} } : null,
          },
        }
      `,
    })
    const proc = spawnTaskcast({ cwd: dir, args: LOOPBACK })
    const url = await proc.listening
    expect(proc.stdout()).toContain('auth=custom')
    expect((await api(url, 'POST', '/tasks', {}, { 'x-api-key': 'wrong' })).status).toBe(401)
    await roundTrip(url, { 'x-api-key': 'let-me-in' })
    expect((await proc.stop()).code).toBe(0)
  })
})

describe('startServer', () => {
  it('serves from code and close() ends it', async () => {
    const lines: string[] = []
    const server = await startServer(
      { port: 0, host: '127.0.0.1' },
      { logger: createLogger({ write: (line) => lines.push(line.replace(/^\S+ /, '')) }) },
    )
    await roundTrip(server.url)
    await server.close()
    await expect(fetch(`${server.url}/health`)).rejects.toThrow()
    expect(lines).toEqual([
      `INFO  listening on ${server.url} version=0.1.0 host=127.0.0.1 port=${server.port} broadcast=memory shortTerm=memory longTerm=none auth=none sentry=off config=none dashboard=${server.url}/dashboard`,
      `INFO  ${IN_MEMORY_NOTE}`,
      'INFO  taskcast stopped',
    ])
  })

  it('rejects a bad config before opening anything, naming the key', async () => {
    await expect(startServer({ port: -1 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      message: 'startServer config: port must be an integer from 0 to 65535 (got -1)',
    })
  })
})
