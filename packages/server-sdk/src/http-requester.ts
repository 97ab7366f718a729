// JSON over fetch for the REST API: auth header, error bodies turned into TaskcastError, and
// retries of idempotent requests (GET, DELETE, and a POST whose repeat the caller can recognise)
// when no usable answer came back.
import { TaskcastError } from '@taskcast/core'
import {
  authHeaders,
  backoffDelay,
  isRetryableStatus,
  networkError,
  sleep,
  taskcastErrorFromResponse,
  type TokenSource,
} from '@taskcast/core/wire'

export interface RetryOptions {
  /** Extra attempts for GET and DELETE after a network error or a retryable answer (408, 429, 5xx). @defaultValue 2 */
  retries?: number
  /** @defaultValue 200 */
  initialDelayMs?: number
  /** @defaultValue 2_000 */
  maxDelayMs?: number
}

export interface RequesterSettings {
  baseUrl: string
  token: TokenSource | undefined
  fetch: typeof fetch
  retry: Required<RetryOptions>
}

export interface RequestOptions {
  /** Cancels the request (and any retry wait), e.g. `AbortSignal.timeout(5000)`. */
  signal?: AbortSignal
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** What `request` sends besides the method and path. */
export interface RequestParts<T> {
  /** Sent as JSON. */
  body?: unknown
  /** A body already encoded as JSON, sent as it is (instead of `body`). */
  encodedBody?: string
  query?: URLSearchParams
  /** Extra headers (the Producer-* stamp of a publish). */
  headers?: Record<string, string>
  signal?: AbortSignal | undefined
  /**
   * Makes a POST safe to send again, so it is retried like GET and DELETE: the server refuses a
   * repeat of a request it applied (a create with the caller's id: `DUPLICATE_TASK`), and this
   * says whether a refusal of a repeat only means that an earlier attempt got through, answering
   * what that attempt would have got, or `undefined` to let the refusal stand.
   */
  recogniseRepeat?: (refusal: TaskcastError) => Promise<HttpResponse<T> | undefined>
}

export interface HttpResponse<T> {
  status: number
  body: T
}

const NEVER_ABORTED = new AbortController().signal

/** A 2xx body; anything but JSON means we are not talking to a Taskcast server. */
async function readBody<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T
  try {
    return (await response.json()) as T
  } catch (cause) {
    throw new TaskcastError('INTERNAL', `expected a JSON answer from ${response.url}`, {
      cause,
      details: { httpStatus: response.status },
    })
  }
}

/**
 * Sends one request. POST and PATCH go out exactly once unless `recogniseRepeat` is given: a lost
 * answer does not say whether the server applied them, and a replayed publish would duplicate
 * events.
 * @throws TaskcastError with the server's code, or `STORE_UNAVAILABLE` (`details.network`) when unreachable
 */
export async function request<T>(
  settings: RequesterSettings,
  method: Method,
  path: string,
  options: RequestParts<T> = {},
): Promise<HttpResponse<T>> {
  const idempotent = method === 'GET' || method === 'DELETE' || options.recogniseRepeat !== undefined
  const attempts = idempotent ? settings.retry.retries + 1 : 1
  const query = options.query?.toString()
  const url = `${settings.baseUrl.replace(/\/+$/, '')}${path}${query ? `?${query}` : ''}`
  const body = options.encodedBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
  let lastError: TaskcastError | undefined
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt - 1, settings.retry), options.signal ?? NEVER_ABORTED)
    options.signal?.throwIfAborted()
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...(await authHeaders(settings.token)) }
    if (body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await settings.fetch(url, {
        method,
        headers,
        ...(body !== undefined && { body }),
        ...(options.signal && { signal: options.signal }),
      })
    } catch (error) {
      // The caller's own abort is not a network failure: hand it back untouched.
      if (options.signal?.aborted) throw options.signal.reason
      lastError = networkError(error)
      continue
    }
    if (response.ok) return { status: response.status, body: await readBody<T>(response) }
    lastError = await taskcastErrorFromResponse(response)
    if (attempt > 0 && options.recogniseRepeat) {
      const earlier = await options.recogniseRepeat(lastError)
      if (earlier) return earlier
    }
    if (!lastError.retryable) throw lastError
  }
  throw lastError
}
