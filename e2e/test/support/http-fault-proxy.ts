// An HTTP proxy on loopback that plays a lossy network between a client and taskcast: with seeded
// odds it resets the client's connection before forwarding a request (the server never sees it),
// or forwards it, reads the server's whole answer, and then closes the client's connection
// without sending a byte of it (the server acted; the client cannot know). It forwards to the
// first of its upstreams, and to the next for good once one refuses connections (a load
// balancer's health check after a process died).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Rng } from './fuzz-rng.js'

export interface FaultOdds {
  /** Seed of the draws, so that a run's sequence of faults can be replayed. */
  seed: number
  /** Chance that a request is forwarded and its answer dropped. */
  dropAnswer: number
  /** Chance that a request's connection is reset before it is forwarded. */
  reset: number
}

export interface ProxyCounts {
  requests: number
  /** Answers the server gave that the client never got. */
  dropped: number
  /** Connections reset with a request unforwarded. */
  reset: number
  /** Requests whose upstream failed (refused, or cut while answering). */
  upstreamFailed: number
  /** Statuses of the answers the server gave (dropped ones included). */
  statuses: Record<number, number>
}

// Hop-by-hop headers (RFC 9110 §7.6.1) and the ones rewritten here.
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length', 'proxy-connection', 'upgrade'])

function forwardable(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !NOT_FORWARDED.has(name)) kept[name] = value
  return kept
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export class HttpFaultProxy {
  readonly counts: ProxyCounts = { requests: 0, dropped: 0, reset: 0, upstreamFailed: 0, statuses: {} }
  private readonly rng: Rng
  private readonly agent = new http.Agent({ keepAlive: true })
  private current = 0
  /** Upstreams whose answers are dropped, and what to call once one was. */
  private readonly silenced = new Map<string, () => void>()
  /** Called when the proxy gives an upstream up and moves to the next. */
  onSwitch: ((from: string, to: string | undefined) => void) | undefined

  private constructor(
    private readonly server: http.Server,
    private readonly upstreams: readonly string[],
    private readonly odds: FaultOdds,
  ) {
    this.rng = new Rng(odds.seed)
  }

  /** Listens on a free loopback port in front of `upstreams` (base URLs, tried in order). */
  static async start(upstreams: readonly string[], odds: FaultOdds): Promise<HttpFaultProxy> {
    let proxy: HttpFaultProxy | undefined
    const server = http.createServer((request, response) => void proxy!.handle(request, response))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', resolve)
    })
    proxy = new HttpFaultProxy(server, upstreams, odds)
    return proxy
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** The upstream requests go to now. */
  get upstream(): string | undefined {
    return this.upstreams[this.current]
  }

  /**
   * From now on every answer from `upstream` is dropped after it was given, as by a process that
   * dies between doing a request and answering it. Resolves once one answer was dropped so.
   */
  dropAnswersFrom(upstream: string): Promise<void> {
    return new Promise((resolve) => this.silenced.set(upstream, resolve))
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.agent.destroy()
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    this.counts.requests++
    // One draw per request, in arrival order: the same seed gives the same sequence of faults.
    const draw = this.rng.float()
    if (draw < this.odds.reset) {
      this.counts.reset++
      request.socket.resetAndDestroy()
      return
    }
    const body = await readAll(request)
    const target = this.upstream
    let answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer }
    try {
      if (target === undefined) throw new Error('no upstream left')
      answer = await this.forward(target, request, body)
    } catch (error) {
      this.counts.upstreamFailed++
      // A refused connection means the process is gone; a connection cut mid-answer may be a
      // passing fault, and the client tries again anyway.
      if (target !== undefined && this.upstream === target && (error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
        this.current++
        this.onSwitch?.(target, this.upstream)
      }
      request.socket.destroy()
      return
    }
    this.counts.statuses[answer.status] = (this.counts.statuses[answer.status] ?? 0) + 1
    const silenced = this.silenced.get(target!)
    if (draw < this.odds.reset + this.odds.dropAnswer || silenced) {
      this.counts.dropped++
      request.socket.destroy()
      silenced?.()
      return
    }
    response.writeHead(answer.status, { ...forwardable(answer.headers), 'content-length': answer.body.length })
    response.end(answer.body)
  }

  private forward(
    target: string,
    request: http.IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    const url = new URL(request.url ?? '/', target)
    return new Promise((resolve, reject) => {
      const outgoing = http.request(
        url,
        { method: request.method, headers: { ...forwardable(request.headers), 'content-length': body.length }, agent: this.agent },
        (incoming) => {
          readAll(incoming).then((answerBody) => resolve({ status: incoming.statusCode!, headers: incoming.headers, body: answerBody }), reject)
        },
      )
      outgoing.on('error', reject)
      outgoing.end(body)
    })
  }
}
