// The address checked is the address connected to (SPEC §10): a per-task webhook's request goes to
// what the send-time check resolved, never to a second DNS answer, with the URL's host name kept
// in the Host header and as the TLS server name. Real loopback receivers; names that DNS cannot
// resolve, so that only the pinned address can make a request arrive.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { MemoryBroadcastProvider, MemoryShortTermStore, TaskEngine, TaskcastError, type WebhookConfig } from '@taskcast/core'
import { createWebhookDispatcher, type WebhookOptions } from '../../src/webhooks/index.js'
import { pinnedLookup } from '../../src/webhooks/pinned-lookup.js'
import { sendAttempt, type AttemptFailure, type AttemptRequest } from '../../src/webhooks/send-attempt.js'
import { afterThisTest, receiver } from './after-each-test.js'

const portOf = (url: string) => Number(new URL(url).port)

/** A resolver whose answers change from one call to the next, as a rebinding DNS server's do. */
function rebindingResolver(answers: string[][]) {
  const calls: string[] = []
  const lookup = async (host: string) => {
    calls.push(host)
    return answers[Math.min(calls.length, answers.length) - 1]!
  }
  return { lookup, calls }
}

function dispatcher(options: WebhookOptions) {
  const engine = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: new MemoryShortTermStore() })
  const d = createWebhookDispatcher({ engine, options })
  const failures: unknown[] = []
  engine.addHooks(d.hooks)
  engine.addHooks({ onWebhookFailed: (_, error) => void failures.push(error) })
  afterThisTest(async () => {
    await d.close()
    await engine.stop()
  })
  return { engine, dispatcher: d, failures }
}

async function runningTask(engine: TaskEngine, webhooks: WebhookConfig[]) {
  const task = await engine.createTask({ webhooks })
  await engine.transitionTask(task.id, 'running')
  return task
}

const onlyJobs = { types: ['job.*'], includeStatus: false }

function attempt(overrides: Partial<AttemptRequest> & { url: string }): Promise<AttemptFailure | undefined> {
  return sendAttempt({
    headers: { 'Content-Type': 'application/json' },
    body: new TextEncoder().encode('{}'),
    timeoutMs: 2000,
    signal: new AbortController().signal,
    ...overrides,
  })
}

async function listening(server: Server | ReturnType<typeof createTlsServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  afterThisTest(
    () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return (server.address() as AddressInfo).port
}

describe('the connection goes to the checked address', () => {
  it('a resolver that answers another address on the second lookup cannot move the connection', async () => {
    // Two receivers on one port: the address the check resolved, and the one a second lookup would give.
    const checked = await receiver()
    const other = await receiver(undefined, { host: '127.0.0.2', port: portOf(checked.url) })
    const dns = rebindingResolver([['127.0.0.1'], ['127.0.0.2']])
    // The host is allowed (so that a loopback answer passes); it is resolved once all the same, for the connection.
    const { engine, dispatcher: d, failures } = dispatcher({ allowedHosts: ['rebind.test'], lookup: dns.lookup })
    const url = `http://rebind.test:${portOf(checked.url)}/hook`
    const task = await runningTask(engine, [{ url, wrap: false, filter: onlyJobs, retry: { retries: 0 } }])
    await engine.publishEvent(task.id, { type: 'job.n', data: 1 })
    await d.idle()
    expect(checked.requests.map((q) => q.json)).toEqual([1])
    expect(other.requests).toEqual([])
    // One resolution for the check and the connection together; the name is kept in the Host header.
    expect(dns.calls).toEqual(['rebind.test'])
    expect(checked.requests[0]!.headers.host).toBe(`rebind.test:${portOf(checked.url)}`)
    // The next attempt resolves again and goes where that answer (the one it checks) says.
    await engine.publishEvent(task.id, { type: 'job.n', data: 2 })
    await d.idle()
    expect(other.requests.map((q) => q.json)).toEqual([2])
    expect(dns.calls).toEqual(['rebind.test', 'rebind.test'])
    expect(failures).toEqual([])
  })

  it('refuses an answer that fails the check, and nothing else resolves the name for a connection', async () => {
    const r = await receiver()
    const dns = rebindingResolver([['127.0.0.1']])
    const { engine, dispatcher: d, failures } = dispatcher({ lookup: dns.lookup })
    const task = await runningTask(engine, [{ url: `http://rebind.test:${portOf(r.url)}/`, filter: onlyJobs, retry: { retries: 0 } }])
    await engine.publishEvent(task.id, { type: 'job.n' })
    await d.idle()
    expect(r.requests).toEqual([])
    expect(dns.calls).toEqual(['rebind.test'])
    expect(failures.map((error) => TaskcastError.isInstance(error) && error.details)).toEqual([{ attempts: 1, reason: 'refused' }])
  })

  it('sends to the given addresses whatever DNS says of the host name, which stays in the Host header', async () => {
    const r = await receiver()
    const url = `http://rebind.invalid:${portOf(r.url)}/path?q=1`
    expect(await attempt({ url, addresses: ['127.0.0.1'] })).toBeUndefined()
    expect(r.requests.map((q) => [q.path, q.headers.host])).toEqual([['/path?q=1', `rebind.invalid:${portOf(r.url)}`]])
    // Without the pinned address the name does not resolve at all.
    expect(await attempt({ url })).toMatchObject({ reason: 'network' })
  })

  it('sends the host name as the TLS server name while connecting to the checked address', async () => {
    const names: string[] = []
    // No certificate: the handshake stops right after the ClientHello, which is all this looks at.
    const tls = createTlsServer({
      SNICallback: (name, callback) => {
        names.push(name)
        callback(new Error('no certificate here'), undefined)
      },
    })
    tls.on('tlsClientError', () => undefined)
    const port = await listening(tls)
    const outcome = await attempt({ url: `https://hooks.rebind.test:${port}/`, addresses: ['127.0.0.1'] })
    expect(outcome).toMatchObject({ reason: 'network' })
    expect(names).toEqual(['hooks.rebind.test'])
  })

  it('uses an injected fetch as it is: the URL with its host name, redirect manual, no pinning of its own', async () => {
    const calls: [string, RequestInit | undefined][] = []
    const injected: typeof fetch = async (input, init) => {
      calls.push([String(input), init])
      return new Response(null, { status: 204 })
    }
    expect(await attempt({ url: 'https://hooks.rebind.test/x', addresses: ['127.0.0.1'], fetch: injected })).toBeUndefined()
    expect(calls.map(([url, init]) => [url, init?.method, init?.redirect])).toEqual([['https://hooks.rebind.test/x', 'POST', 'manual']])
  })
})

describe('one attempt over node:http', () => {
  it('never reads the body: a 2xx whose body never ends is a success at once, and the connection is closed', async () => {
    let closed!: () => void
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve))
    const server = createServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' })
      const chunk = Buffer.alloc(64 * 1024)
      const pump = setInterval(() => res.write(chunk), 1)
      res.on('close', () => {
        clearInterval(pump)
        closed()
      })
    })
    const port = await listening(server)
    const started = performance.now()
    expect(await attempt({ url: `http://127.0.0.1:${port}/` })).toBeUndefined()
    expect(performance.now() - started).toBeLessThan(1000)
    await connectionClosed
  })

  it('reports a 3xx as a redirect, not followed, and other statuses as they are', async () => {
    const target = await receiver()
    const r = await receiver((_, n) => (n === 1 ? { status: 307, headers: { location: `${target.url}/stolen` } } : 503))
    expect(await attempt({ url: r.url, addresses: ['127.0.0.1'] })).toEqual({ reason: 'redirect', status: 307 })
    expect(await attempt({ url: r.url })).toEqual({ reason: 'status', status: 503 })
    expect(target.requests).toEqual([])
  })

  it('cuts an attempt at timeoutMs and on abort', async () => {
    const r = await receiver(() => 'hang')
    const started = performance.now()
    expect(await attempt({ url: r.url, timeoutMs: 100 })).toMatchObject({ reason: 'timeout' })
    expect(performance.now() - started).toBeGreaterThanOrEqual(95)
    const closing = new AbortController()
    const pending = attempt({ url: r.url, timeoutMs: 10_000, signal: closing.signal })
    await r.waitFor(2)
    closing.abort()
    expect(await pending).toMatchObject({ reason: 'aborted' })
    await r.waitForAborted(2)
    expect(await attempt({ url: r.url, signal: closing.signal })).toEqual({ reason: 'aborted' })
  })
})

describe('pinnedLookup', () => {
  const lookup = pinnedLookup(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'])
  const ask = (options: Parameters<typeof lookup>[1]) =>
    new Promise<unknown>((resolve) =>
      lookup('any.name', options, (error, address, family) => resolve(error ? (error as NodeJS.ErrnoException).code : [address, family])),
    )

  it('answers the checked addresses for any name, in both of the forms net asks for', async () => {
    expect(await ask({})).toEqual(['93.184.216.34', 4])
    expect(await ask({ all: true })).toEqual([
      [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
      ],
      undefined,
    ])
    expect(await ask({ family: 6 })).toEqual(['2606:2800:220:1:248:1893:25c8:1946', 6])
    expect(await ask({ family: 'IPv4', all: true })).toEqual([[{ address: '93.184.216.34', family: 4 }], undefined])
  })

  it('fails, rather than resolving, when no checked address is of the family asked for', async () => {
    expect(await new Promise((resolve) => pinnedLookup(['127.0.0.1'])('x', { family: 6 }, (error) => resolve(error?.code)))).toBe('ENOTFOUND')
  })
})
