// SSE straight onto Node's ServerResponse (`c.env.outgoing` under @hono/node-server), bypassing
// web streams: frames queued during one turn of the event loop leave in a single `write`, and a
// frame shared by many subscribers is one encoded buffer written to each socket as is.
//
// The route answers Hono with a body-less response marked `x-hono-already-sent` (honoured by
// @hono/node-server 1.9 and later), so the adapter leaves the response to us. The status line
// and headers go out on the first flush, one turn later: by then every middleware has finished
// with the response (CORS adds `Vary` after the handler), and its headers are the ones sent.
import type { ServerResponse } from 'node:http'
import { chunkSize, concatBytes, type SseChunk, type SseTransport, type SseTransportListener } from './sse-transport.js'

/** Above this many queued bytes a connection is flushed at once rather than at the end of the turn. */
const EAGER_FLUSH_BYTES = 64 * 1024

/** The header that tells @hono/node-server the handler wrote the response itself. */
export const ALREADY_SENT_HEADER = 'x-hono-already-sent'

/** The part of Node's ServerResponse this transport uses. */
export type NodeResponse = Pick<
  ServerResponse,
  | 'writeHead'
  | 'write'
  | 'end'
  | 'destroy'
  | 'flushHeaders'
  | 'once'
  | 'writableLength'
  | 'writableFinished'
  | 'destroyed'
  | 'socket'
>

/** Whether `outgoing` (from `c.env`) is a Node response this transport can drive. */
export function isNodeResponse(outgoing: unknown): outgoing is NodeResponse {
  const candidate = outgoing as Partial<NodeResponse> | null | undefined
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.writeHead === 'function' &&
    typeof candidate.write === 'function' &&
    typeof candidate.once === 'function' &&
    typeof candidate.writableLength === 'number'
  )
}

// One flush per turn for all connections, instead of one scheduled callback per connection.
let dirty: NodeSseTransport[] = []
let flushScheduled = false

function flushDirty(): void {
  const batch = dirty
  dirty = []
  flushScheduled = false
  for (const transport of batch) transport.flush()
}

export class NodeSseTransport implements SseTransport {
  /** Frames waiting for the end of the turn (none most of the time: not even an array). */
  private queue: SseChunk[] | undefined
  private queuedSize = 0
  private scheduled = false
  private headWritten = false
  private endWritten = false
  /** `ended`: cleanly, frames may still be in flight; `gone`: destroyed, or the client left. */
  private state: 'open' | 'ended' | 'gone' = 'open'
  private written = 0
  private listener: SseTransportListener | undefined
  private readonly afterWrite = (): void => {
    if (this.pendingBytes === 0) this.listener?.onTransportDrained()
  }

  /**
   * @param res the Node response
   * @param headers read once, when the head is written: the final headers of the Hono response
   */
  constructor(
    private readonly res: NodeResponse,
    private headers: (() => Record<string, string | string[]>) | undefined,
  ) {
    res.once('close', () => {
      if (this.state === 'gone') return
      // A response that ended cleanly and was fully sent also closes: that is no client leaving.
      const clean = this.state === 'ended' && res.writableFinished
      this.state = 'gone'
      this.queue = undefined
      this.queuedSize = 0
      if (clean) this.listener?.onTransportDrained()
      else this.listener?.onClientGone()
    })
    // The head goes out on the next turn even when there is nothing to send yet (a pending task).
    this.schedule()
  }

  /** True when the client was already gone before the stream started. */
  get clientGone(): boolean {
    return this.res.destroyed || !this.res.socket || this.res.socket.destroyed
  }

  get pendingBytes(): number {
    return this.state === 'gone' ? 0 : this.queuedSize + this.res.writableLength
  }

  get writtenBytes(): number {
    return this.written
  }

  attach(listener: SseTransportListener): void {
    this.listener = listener
  }

  write(chunk: SseChunk): void {
    if (this.state !== 'open') return
    const size = chunkSize(chunk)
    ;(this.queue ??= []).push(chunk)
    this.queuedSize += size
    this.written += size
    if (this.queuedSize >= EAGER_FLUSH_BYTES && this.headWritten) this.flush()
    else this.schedule()
  }

  /** Writes the head (once) and everything queued as one chunk; ends the response when `end` was called. */
  flush(): void {
    this.scheduled = false
    if (this.state === 'gone' || this.endWritten) return
    this.writeHead()
    const chunk = this.take()
    if (this.state === 'ended') {
      this.endWritten = true
      if (chunk !== undefined) this.res.end(chunk, this.afterWrite)
      else this.res.end(this.afterWrite)
    } else if (chunk !== undefined) {
      this.res.write(chunk, this.afterWrite)
    }
  }

  end(): void {
    if (this.state !== 'open') return
    this.state = 'ended'
    // Before the head is out, the handler's middleware may still be adding headers: end with the
    // first flush, at the end of the turn.
    if (this.headWritten) this.flush()
    else this.schedule()
  }

  destroy(): void {
    if (this.state === 'gone') return
    this.state = 'gone'
    this.queue = undefined
    this.queuedSize = 0
    this.res.destroy()
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    dirty.push(this)
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flushDirty)
    }
  }

  private writeHead(): void {
    if (this.headWritten) return
    this.headWritten = true
    const headers = this.headers?.() ?? {}
    this.headers = undefined
    this.res.writeHead(200, headers)
    if (!this.queue) this.res.flushHeaders()
  }

  /** The queued frames as one chunk (text joined, or bytes concatenated), or undefined. */
  private take(): SseChunk | undefined {
    const queue = this.queue
    if (!queue) return undefined
    this.queue = undefined
    this.queuedSize = 0
    if (queue.length === 1) return queue[0]
    if (queue.every((chunk) => typeof chunk === 'string')) return (queue as string[]).join('')
    return concatBytes(queue)
  }
}

/** Node header object from a Hono/Fetch `Headers`, without our marker; `Set-Cookie` stays a list. */
export function toNodeHeaders(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  headers.forEach((value, key) => {
    if (key === ALREADY_SENT_HEADER || key === 'set-cookie') return
    out[key] = value
  })
  const cookies = headers.getSetCookie?.() ?? []
  if (cookies.length > 0) out['set-cookie'] = cookies
  return out
}
