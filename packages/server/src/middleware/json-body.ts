// Request bodies: a size cap enforced while reading, then strict JSON parsing.
import { TaskcastError } from '@taskcast/core'
import type { Context, MiddlewareHandler } from 'hono'
import type { TaskcastEnv } from '../route-context.js'
import { bodyLimit } from 'hono/body-limit'

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * Rejects bodies over `maxBytes` with `PAYLOAD_TOO_LARGE`. A body with a `Content-Length` (what
 * every publish sends) is judged by it: the HTTP parser holds the body to that length. Anything
 * else goes through Hono's `bodyLimit`, which counts bytes as they stream in, so an oversized
 * chunked upload is cut without being buffered whole. Hono's middleware is not used for the
 * first case because it asks for the request's web stream (`c.req.raw.body`), which
 * @hono/node-server builds only when asked and which cost about a third of a small publish's CPU
 * (bench `publish-single`); without it, `c.req.text()` reads the Node request directly.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new TaskcastError('PAYLOAD_TOO_LARGE', `request body is larger than ${maxBytes} bytes`)
  }
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return async (c, next) => {
    const declared = c.req.header('Content-Length')
    if (declared === undefined || c.req.header('Transfer-Encoding') !== undefined) return streamed(c, next)
    const size = parseInt(declared || '0', 10)
    if (size > maxBytes) {
      if (size <= DISCARD_LIMIT_BYTES) await discard(c.req.raw.body)
      tooLarge()
    }
    await next()
  }
}

/**
 * A refused body up to this size is read and dropped before the 413 goes out, so that a client
 * still sending gets the answer rather than a reset (an adapter that drains unread bodies itself
 * may give up on a loaded machine); a larger one has its connection cut.
 */
const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024

async function discard(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return
  const reader = body.getReader()
  try {
    while (!(await reader.read()).done) {
      // dropped
    }
  } catch {
    // The client went away: nothing left to answer.
  }
}

/**
 * Reads and parses the body before the rest of the route looks at the request, so that nothing
 * answers (a 404 for a missing task, say) while the body is still arriving: a client still
 * sending would see its connection reset instead of the answer. The value is `c.get('json')`.
 * @throws TaskcastError `VALIDATION_ERROR`, `PAYLOAD_TOO_LARGE` (with `limitBody` before it)
 */
export function jsonBody(): MiddlewareHandler<TaskcastEnv> {
  return async (c, next) => {
    c.set('json', await readJsonBody(c))
    await next()
  }
}

/**
 * The request's JSON body, or `undefined` when there is no body and no JSON content type.
 * @throws TaskcastError `VALIDATION_ERROR` for a non-JSON media type or malformed JSON.
 */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text()
  const contentType = c.req.header('Content-Type') ?? ''
  const declaredJson = JSON_MEDIA_TYPE.test(contentType)
  if (text.trim().length === 0) {
    // No body at all is "no input"; a body announced as JSON must be JSON, and nothing is not.
    if (declaredJson) throw new TaskcastError('VALIDATION_ERROR', 'request body is empty but declared as JSON')
    return undefined
  }
  if (!declaredJson) {
    throw new TaskcastError('VALIDATION_ERROR', 'request body must be JSON (Content-Type: application/json)')
  }
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new TaskcastError('VALIDATION_ERROR', 'request body is not valid JSON')
  }
}
