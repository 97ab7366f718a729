// The fuzz test's HTTP client, on node:http rather than fetch: the bytes of the path, the method,
// the headers (no implicit Content-Type) and chunked uploads are exactly what the case says.
import http from 'node:http'

export interface FuzzRequest {
  /** Any token; Node's client refuses only characters HTTP forbids. */
  method: string
  /** Path and query exactly as sent: already percent-encoded where the case wants it. */
  path: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** Send the body with `Transfer-Encoding: chunked`, in pieces of this many bytes. */
  chunked?: number
  /** An SSE request: of a 200 answer read the first chunk only, then hang up. */
  sse?: boolean
  /**
   * On a connection of its own, closed afterwards: for bodies the server may stop reading
   * (413), so that whatever it does with that connection cannot touch the next request.
   */
  fresh?: boolean
}

export interface Outcome {
  /** Absent when no response came (see `error`). */
  status?: number
  headers: http.IncomingHttpHeaders
  /** The body (for an SSE 200: its first chunk), at most BODY_KEPT characters. */
  body: string
  /** Why no response came: a socket error or the time limit. */
  error?: string
  ms: number
}

const BODY_KEPT = 1 << 20
/** A hang is a finding, not a wait: every request has an answer well within this. */
const TIMEOUT_MS = 15_000
/** How long the head of an SSE stream may take to show its first bytes (`retry:` comes at once). */
const SSE_HEAD_MS = 5_000

export class FuzzClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 })
  private readonly host: string
  private readonly port: number

  constructor(baseUrl: string) {
    const url = new URL(baseUrl)
    this.host = url.hostname
    this.port = Number(url.port)
  }

  send(request: FuzzRequest): Promise<Outcome> {
    const started = performance.now()
    return new Promise<Outcome>((resolve) => {
      let settled = false
      let timer: ReturnType<typeof setTimeout> | undefined
      const finish = (outcome: Omit<Outcome, 'ms'>) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve({ ...outcome, ms: performance.now() - started })
      }
      const body = request.body === undefined ? undefined : Buffer.from(request.body)
      const headers: Record<string, string> = { ...request.headers }
      if (body && !request.chunked) headers['Content-Length'] = String(body.length)
      if (body && request.chunked) headers['Transfer-Encoding'] = 'chunked'
      let req: http.ClientRequest
      try {
        req = http.request({
          host: this.host,
          port: this.port,
          method: request.method,
          path: request.path,
          headers,
          agent: request.fresh ? false : this.agent,
        })
      } catch (error) {
        // Node's client refused to send it (a character HTTP forbids): the generator's bug.
        finish({ headers: {}, body: '', error: `not sendable: ${(error as Error).message}` })
        return
      }
      timer = setTimeout(() => {
        finish({ headers: {}, body: '', error: `no response within ${TIMEOUT_MS} ms` })
        req.destroy()
      }, TIMEOUT_MS)
      req.on('error', (error: NodeJS.ErrnoException) => {
        finish({ headers: {}, body: '', error: error.code ?? error.message })
      })
      req.on('response', (res) => {
        const status = res.statusCode!
        res.setEncoding('utf8')
        if (request.sse && status === 200) {
          const headTimer = setTimeout(() => {
            finish({ status, headers: res.headers, body: '' })
            req.destroy()
          }, SSE_HEAD_MS)
          res.once('data', (chunk: string) => {
            clearTimeout(headTimer)
            finish({ status, headers: res.headers, body: chunk })
            req.destroy()
          })
          res.once('end', () => {
            clearTimeout(headTimer)
            finish({ status, headers: res.headers, body: '' })
          })
          return
        }
        let text = ''
        res.on('data', (chunk: string) => {
          if (text.length < BODY_KEPT) text += chunk
        })
        res.on('end', () => finish({ status, headers: res.headers, body: text }))
        res.on('error', (error: NodeJS.ErrnoException) =>
          finish({ status, headers: res.headers, body: text, error: `response cut: ${error.code ?? error.message}` }),
        )
      })
      if (body && request.chunked) {
        for (let at = 0; at < body.length; at += request.chunked) req.write(body.subarray(at, at + request.chunked))
        req.end()
      } else {
        req.end(body)
      }
    })
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy()
  }
}
