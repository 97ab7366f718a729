// Event routes: publish one event or a batch, and read filtered history (SPEC §7).
import { parseSubscribeQuery, TaskcastError, type PublishEventInput } from '@taskcast/core'
import type { Context, MiddlewareHandler } from 'hono'
import { requireScope } from '../auth/index.js'
import { limitBody, readJsonBody } from '../middleware/json-body.js'
import { authorizeTask, type RouteContext, type TaskcastHono } from '../route-context.js'
import { concatBytes } from '../sse/sse-transport.js'

export function registerEventRoutes(app: TaskcastHono, ctx: RouteContext): void {
  const { engine } = ctx
  const { maxBatchSize, maxBodyBytes } = ctx.limits
  const bodyLimit = limitBody(maxBodyBytes)

  // The publish path is the hot one. On Node the body is read straight from the request stream
  // (same limit, same errors) and handed to Hono's body cache; Hono's own body-limit reader
  // would first build a web Request and stream for every publish, which cost about a fifth of
  // the CPU of a small publish.
  const limitedBody: MiddlewareHandler = async (c, next) => {
    const incoming = untouchedNodeBody(c)
    if (!incoming) return bodyLimit(c, next)
    // Hono keeps body promises in `bodyCache` (typed loosely as `Partial<Body>`): `c.req.text()` returns this one.
    ;(c.req.bodyCache as Record<string, Promise<unknown>>).text = Promise.resolve(await readNodeBody(incoming, maxBodyBytes))
    await next()
  }

  app.post('/tasks/:id/events', requireScope('event:publish'), limitedBody, async (c) => {
    const taskId = c.req.param('id')
    const body = await readJsonBody(c)
    if (Array.isArray(body) && body.length > maxBatchSize) {
      // A size limit, like the body limit: same status, so clients handle both by splitting.
      throw new TaskcastError('PAYLOAD_TOO_LARGE', `a batch holds at most ${maxBatchSize} events (got ${body.length})`)
    }
    await authorizeTask(ctx, c, taskId, 'event:publish')
    // The engine validates every item (and stores nothing when one is invalid).
    if (Array.isArray(body)) return c.json(await engine.publishEvents(taskId, body as PublishEventInput[]), 201)
    return c.json(await engine.publishEvent(taskId, body as PublishEventInput), 201)
  })

  app.get('/tasks/:id/events/history', requireScope('event:history'), async (c) => {
    const taskId = c.req.param('id')
    const { filter, seriesFormat, limit } = parseSubscribeQuery(new URL(c.req.url).searchParams)
    // History is always the stored events: `wrap` only means something for SSE.
    const { wrap: _wrap, ...historyFilter } = filter
    await authorizeTask(ctx, c, taskId, 'event:history')
    return c.json(await engine.getEvents(taskId, { filter: historyFilter, seriesFormat, limit }), 200)
  })
}

/** The part of Node's IncomingMessage read here. */
interface NodeBody {
  headers: Record<string, string | string[] | undefined>
  readableFlowing: boolean | null
  readableDidRead?: boolean
  readableEnded: boolean
  rawBody?: unknown
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown
  on(event: 'end' | 'close', listener: () => void): unknown
  on(event: 'error', listener: (error: unknown) => void): unknown
  off(event: string, listener: (...args: never[]) => void): unknown
}

/** The Node request (`c.env.incoming` under @hono/node-server) when nothing has read its body yet. */
function untouchedNodeBody(c: Context): NodeBody | undefined {
  const incoming = (c.env as { incoming?: Partial<NodeBody> } | undefined)?.incoming
  if (!incoming || typeof incoming.on !== 'function' || typeof incoming.headers !== 'object') return undefined
  // Someone (a middleware of the host app) already streams or read it: leave it to Hono.
  if (incoming.readableFlowing !== null || incoming.readableDidRead === true || incoming.readableEnded) return undefined
  if (Object.keys(c.req.bodyCache).length > 0) return undefined
  return incoming as NodeBody
}

const decoder = new TextDecoder()

function tooLarge(maxBytes: number): TaskcastError {
  return new TaskcastError('PAYLOAD_TOO_LARGE', `request body is larger than ${maxBytes} bytes`)
}

/**
 * The body as text, with the rules of `limitBody` (a declared length over the limit is refused
 * before reading; otherwise bytes are counted as they come) and the decoding of `Request.text()`
 * (UTF-8, a leading byte order mark dropped).
 * @throws TaskcastError `PAYLOAD_TOO_LARGE`
 */
function readNodeBody(incoming: NodeBody, maxBytes: number): Promise<string> {
  const { headers } = incoming
  const declared = headers['content-length']
  if (typeof declared === 'string' && headers['transfer-encoding'] === undefined && parseInt(declared || '0', 10) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes))
  }
  if (incoming.rawBody instanceof Uint8Array) {
    if (incoming.rawBody.byteLength > maxBytes) return Promise.reject(tooLarge(maxBytes))
    return Promise.resolve(decoder.decode(incoming.rawBody))
  }
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    const onData = (chunk: Uint8Array): void => {
      size += chunk.byteLength
      if (size > maxBytes) {
        stop()
        reject(tooLarge(maxBytes))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      stop()
      resolve(decoder.decode(chunks.length === 1 ? chunks[0] : concatBytes(chunks)))
    }
    const onError = (error: unknown): void => {
      stop()
      reject(error)
    }
    // A client that leaves mid-body made the mistake; nobody is left to read the answer, and
    // it is not the server's error to report.
    const onClose = (): void => onError(new TaskcastError('VALIDATION_ERROR', 'the request body ended early'))
    const stop = (): void => {
      incoming.off('data', onData)
      incoming.off('end', onEnd)
      incoming.off('error', onError)
      incoming.off('close', onClose)
    }
    incoming.on('data', onData)
    incoming.on('end', onEnd)
    incoming.on('error', onError)
    incoming.on('close', onClose)
  })
}
