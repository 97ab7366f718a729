// The response of an SSE route: on Node the stream writes to the ServerResponse itself,
// elsewhere it is a web stream. Both SSE routes answer through here.
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { TaskcastEnv } from '../route-context.js'
import { isNodeResponse, NodeSseTransport, type NodeResponse } from './node-sse-transport.js'
import type { SseTransport } from './sse-transport.js'
import { WebSseTransport } from './web-sse-transport.js'

/** The headers of every stream (those of Hono's `streamSSE`). */
const STREAM_HEADERS = {
  'Transfer-Encoding': 'chunked',
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
}

/** What @hono/node-server passes as `c.env` (its documented `HttpBindings`), as far as used here. */
interface NodeEnv {
  outgoing?: unknown
}

/**
 * Starts a stream; `open` is called once with the transport, whether the client is already
 * gone, and (web runtimes) the signal that aborts when it goes.
 */
export type OpenStream = (transport: SseTransport, clientGone: boolean, disconnected: AbortSignal | undefined) => void

/** How the route learns of a disconnect, read before anything is awaited (see `streamResponse`). */
export interface StreamTarget {
  node: NodeResponse | undefined
  disconnected: AbortSignal | undefined
}

function nodeResponseOf(c: Context<TaskcastEnv>): NodeResponse | undefined {
  const outgoing = (c.env as NodeEnv | undefined)?.outgoing
  return isNodeResponse(outgoing) ? outgoing : undefined
}

/**
 * Read at the start of the handler: @hono/node-server only wires client disconnects to the
 * request's signal once it exists; on Node the response's own `close` tells instead, without
 * building a full Request.
 */
export function streamTarget(c: Context<TaskcastEnv>): StreamTarget {
  const node = nodeResponseOf(c)
  return { node, disconnected: node ? undefined : c.req.raw.signal }
}

export function streamResponse(c: Context<TaskcastEnv>, target: StreamTarget, open: OpenStream): Response {
  c.header('X-Accel-Buffering', 'no')
  if (c.req.method === 'HEAD') {
    // Hono answers HEAD with the GET handler and drops the body unread: a stream would never end.
    return c.body(null, 200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
  }
  if (target.node) {
    // Hono gets a streaming Response whose body the transport owns: the adapter writes the final
    // headers (what middleware added after the handler included), then the transport the frames.
    const transport = new NodeSseTransport(target.node)
    open(transport, transport.clientGone, undefined)
    return c.body(transport.body, 200, STREAM_HEADERS)
  }
  return streamSSE(c, (stream) => {
    const transport = new WebSseTransport(stream)
    open(transport, false, target.disconnected)
    return transport.ended
  })
}
