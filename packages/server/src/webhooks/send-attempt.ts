// One HTTP attempt of a webhook delivery: POST, no redirects, a deadline, the response body discarded.

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
  fetch: typeof fetch
}

export async function sendAttempt(request: AttemptRequest): Promise<AttemptFailure | undefined> {
  if (request.signal.aborted) return { reason: 'aborted' }
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, request.timeoutMs)
  const onClose = () => controller.abort()
  request.signal.addEventListener('abort', onClose, { once: true })
  try {
    const response = await request.fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      // A 3xx is a failure: following it would let a receiver bounce us to an address the SSRF check refused.
      redirect: 'manual',
      signal: controller.signal,
    })
    // Only the status matters; cancelling frees the connection without reading a body of any size.
    await response.body?.cancel().catch(() => undefined)
    if (response.status >= 200 && response.status < 300) return undefined
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      return { reason: 'redirect', status: response.status }
    }
    return { reason: 'status', status: response.status }
  } catch (cause) {
    if (timedOut) return { reason: 'timeout', cause }
    if (request.signal.aborted) return { reason: 'aborted', cause }
    return { reason: 'network', cause }
  } finally {
    clearTimeout(timer)
    request.signal.removeEventListener('abort', onClose)
  }
}
