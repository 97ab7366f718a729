// A real HTTP webhook receiver on a loopback port, recording every request it gets.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  path: string
  method: string
  headers: IncomingHttpHeaders
  /** The raw body bytes, exactly as sent. */
  body: Buffer
  /** When the request ended (performance.now()). */
  at: number
  json: unknown
}

/** How to answer the n-th request (from 1): a status, a redirect, or never. */
export type Reply = number | { status: number; headers?: Record<string, string> } | 'hang'

export interface Receiver {
  url: string
  requests: Received[]
  /** Resolves when `count` requests have arrived. */
  waitFor(count: number): Promise<Received[]>
  /** Requests whose socket closed before an answer was written. */
  aborted: number
  /** Resolves when `count` requests were aborted by the sender. */
  waitForAborted(count: number): Promise<void>
  close(): Promise<void>
}

export type Responder = (request: Received, n: number) => Reply | Promise<Reply>

export interface ReceiverOptions {
  /** A loopback address to listen on. @defaultValue '127.0.0.1' */
  host?: string
  /** @defaultValue 0 (one the kernel picks) */
  port?: number
}

export async function startReceiver(reply: Responder = () => 200, { host = '127.0.0.1', port = 0 }: ReceiverOptions = {}): Promise<Receiver> {
  const requests: Received[] = []
  const waiters: { count: number; resolve: (r: Received[]) => void }[] = []
  const hanging = new Set<ServerResponse>()
  const abortWaiters: { count: number; resolve: () => void }[] = []
  const receiver: Receiver = {
    url: '',
    requests,
    aborted: 0,
    waitForAborted: (count) =>
      receiver.aborted >= count ? Promise.resolve() : new Promise((resolve) => abortWaiters.push({ count, resolve })),
    waitFor: (count) =>
      requests.length >= count ? Promise.resolve(requests.slice()) : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const body = Buffer.concat(chunks)
      let json: unknown
      try {
        json = JSON.parse(body.toString('utf8'))
      } catch {
        json = undefined
      }
      const at = performance.now()
      const received: Received = { path: req.url ?? '', method: req.method ?? '', headers: req.headers, body, at, json }
      requests.push(received)
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(requests.slice())
      }
      const answer = await reply(received, requests.length)
      if (answer === 'hang') {
        hanging.add(res)
        res.on('close', () => {
          if (!res.writableEnded) receiver.aborted++
          hanging.delete(res)
          for (const waiter of abortWaiters.filter((w) => receiver.aborted >= w.count)) {
            abortWaiters.splice(abortWaiters.indexOf(waiter), 1)
            waiter.resolve()
          }
        })
        return
      }
      const { status, headers = {} } = typeof answer === 'number' ? { status: answer } : answer
      res.writeHead(status, headers).end('ok')
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  receiver.url = `http://${host}:${(server.address() as AddressInfo).port}`
  return receiver
}
