// One HTTP attempt of a webhook delivery: POST, no redirects, a deadline, the response body never
// read. Sent with node:http/https, connected to the addresses the SSRF check passed (no second
// DNS lookup between the check and the connection), or through a `fetch` the app injected.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { pinnedLookup } from './pinned-lookup.js'

/** Why an attempt did not succeed; `undefined` from `sendAttempt` means a 2xx. */
export interface AttemptFailure {
  /** `refused` is set by the dispatcher when a per-task URL fails its send-time SSRF re-check. */
  reason: 'status' | 'redirect' | 'timeout' | 'network' | 'aborted' | 'refused'
  /** The HTTP status for `status` and `redirect`. */
  status?: number
  cause?: unknown
}

export interface AttemptRequest {
  url: string
  headers: Record<string, string>
  body: Uint8Array<ArrayBuffer>
  timeoutMs: number
  /** Aborted when the dispatcher closes. */
  signal: AbortSignal
  /**
   * The addresses to connect to, instead of resolving the URL's host: the ones the SSRF check
   * resolved and passed. The Host header and the TLS server name stay the URL's host name.
   * Undefined: the host is resolved as usual (trusted global webhooks). Ignored with `fetch`.
   */
  addresses?: readonly string[]
  /**
   * An app-supplied fetch, used as it is: it resolves names itself, so connecting to the checked
   * address is its job. Undefined: node:http/https.
   */
  fetch?: typeof fetch
}

export async function sendAttempt(request: AttemptRequest): Promise<AttemptFailure | undefined> {
  if (request.signal.aborted) return { reason: 'aborted' }
  return request.fetch ? fetchAttempt(request, request.fetch) : nodeAttempt(request)
}

function outcomeOf(status: number): AttemptFailure | undefined {
  if (status >= 200 && status < 300) return undefined
  // A 3xx is a failure: following it would let a receiver bounce us to an address the SSRF check refused.
  if (status >= 300 && status < 400) return { reason: 'redirect', status }
  return { reason: 'status', status }
}

function nodeAttempt(request: AttemptRequest): Promise<AttemptFailure | undefined> {
  const url = new URL(request.url)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    let settled = false
    let timedOut = false
    const finish = (result: AttemptFailure | undefined) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      request.signal.removeEventListener('abort', onClose)
      resolve(result)
    }
    const outgoing = send(url, {
      method: 'POST',
      headers: { ...request.headers, 'Content-Length': String(request.body.byteLength) },
      // A connection of its own: a pooled one may have been opened to another address (a trusted
      // global webhook's, or before DNS changed), and the body is never read, so none is reused.
      agent: false,
      ...(request.addresses && { lookup: pinnedLookup(request.addresses) }),
    })
    outgoing.on('response', (response: IncomingMessage) => {
      // Only the status matters: destroying frees the socket without reading a body of any size.
      response.on('error', () => undefined)
      response.destroy()
      finish(outcomeOf(response.statusCode ?? 0))
    })
    // Stays attached after the end, for errors of a socket destroyed under a finished attempt.
    outgoing.on('error', (cause) => {
      if (timedOut) finish({ reason: 'timeout', cause })
      else if (request.signal.aborted) finish({ reason: 'aborted', cause })
      else finish({ reason: 'network', cause })
    })
    const timer = setTimeout(() => {
      timedOut = true
      outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`))
    }, request.timeoutMs)
    const onClose = () => outgoing.destroy(new Error('the webhook dispatcher closed'))
    request.signal.addEventListener('abort', onClose, { once: true })
    outgoing.end(request.body)
  })
}

async function fetchAttempt(request: AttemptRequest, fetchFn: typeof fetch): Promise<AttemptFailure | undefined> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, request.timeoutMs)
  const onClose = () => controller.abort()
  request.signal.addEventListener('abort', onClose, { once: true })
  try {
    const response = await fetchFn(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: controller.signal,
    })
    // Only the status matters; cancelling frees the connection without reading a body of any size.
    await response.body?.cancel().catch(() => undefined)
    if (response.type === 'opaqueredirect') return { reason: 'redirect', status: response.status }
    return outcomeOf(response.status)
  } catch (cause) {
    if (timedOut) return { reason: 'timeout', cause }
    if (request.signal.aborted) return { reason: 'aborted', cause }
    return { reason: 'network', cause }
  } finally {
    clearTimeout(timer)
    request.signal.removeEventListener('abort', onClose)
  }
}
