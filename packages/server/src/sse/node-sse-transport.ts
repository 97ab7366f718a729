// SSE straight onto Node's ServerResponse (`c.env.outgoing` under @hono/node-server), bypassing
// web streams for the frames: frames queued during one turn of the event loop leave in a single
// `write`, and a frame shared by many subscribers is one encoded buffer written to each socket.
//
// The route answers Hono with an ordinary streaming Response whose body this transport owns and
// never fills: the adapter writes the status line and the final headers (whatever middleware
// added after the handler included), flushes them, and waits on the body. Its first read tells
// the transport the head is out; from then on frames go to the socket directly, and closing the
// body makes the adapter end the response. This relies only on what every @hono/node-server
// major does with a streaming Response, not on a marker header (2.x ignores
// `x-hono-already-sent` on the responses Hono builds).
import type { ServerResponse } from 'node:http'
import { chunkSize, concatBytes, type SseChunk, type SseTransport, type SseTransportListener } from './sse-transport.js'

/** Above this many queued bytes a connection is flushed at once rather than at the end of the turn. */
const EAGER_FLUSH_BYTES = 64 * 1024

/** How often a transport whose head is not out yet looks again (see `waitForHead`). */
const HEAD_POLL_MS = 10

/** The part of Node's ServerResponse this transport uses. */
export type NodeResponse = Pick<
  ServerResponse,
  'write' | 'destroy' | 'once' | 'headersSent' | 'writableLength' | 'writableFinished' | 'destroyed' | 'socket'
>

/** Whether `outgoing` (from `c.env`) is a Node response this transport can drive. */
export function isNodeResponse(outgoing: unknown): outgoing is NodeResponse {
  const candidate = outgoing as Partial<NodeResponse> | null | undefined
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.write === 'function' &&
    typeof candidate.once === 'function' &&
    typeof candidate.headersSent === 'boolean' &&
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
  /** The body of the Response handed to the adapter: it only ever closes. */
  readonly body: ReadableStream<Uint8Array>
  private bodyController: ReadableStreamDefaultController<Uint8Array> | undefined
  /** Frames waiting for the end of the turn, or for the head (none most of the time: not even an array). */
  private queue: SseChunk[] | undefined
  private queuedSize = 0
  private scheduled = false
  private headTimer: ReturnType<typeof setTimeout> | undefined
  private endWritten = false
  /** `ended`: cleanly, frames may still be in flight; `gone`: destroyed, or the client left. */
  private state: 'open' | 'ended' | 'gone' = 'open'
  private written = 0
  private listener: SseTransportListener | undefined
  private readonly afterWrite = (): void => {
    if (this.pendingBytes === 0) this.listener?.onTransportDrained()
  }

  constructor(private readonly res: NodeResponse) {
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.bodyController = controller
        },
        // The adapter reads right after writing the head: frames queued so far may go now.
        pull: () => this.flush(),
        cancel: () => this.clientLeft(),
      },
      // No read ahead: `pull` runs when the adapter reads, not when the stream is built.
      { highWaterMark: 0 },
    )
    res.once('close', () => {
      if (this.state === 'gone') return
      // A response that ended cleanly and was fully sent also closes: that is no client leaving.
      if (this.state === 'ended' && res.writableFinished) {
        this.state = 'gone'
        this.listener?.onTransportDrained()
      } else this.clientLeft()
    })
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
    if (this.queuedSize >= EAGER_FLUSH_BYTES && this.res.headersSent) this.flush()
    else this.schedule()
  }

  /** Writes everything queued as one chunk once the head is out; ends the response when `end` was called. */
  flush(): void {
    this.scheduled = false
    // Before the adapter wrote the head, a write would send Node's default head instead: its
    // first read of the body (`pull`) flushes again.
    if (this.state === 'gone' || this.endWritten) return
    if (!this.res.headersSent) return this.waitForHead()
    const chunk = this.take()
    if (chunk !== undefined) this.res.write(chunk, this.afterWrite)
    if (this.state === 'ended') {
      this.endWritten = true
      // The adapter ends the response when its read of the body completes, after the write above.
      closeQuietly(this.bodyController)
    }
  }

  end(): void {
    if (this.state !== 'open') return
    this.state = 'ended'
    this.schedule()
  }

  destroy(): void {
    if (this.state === 'gone') return
    this.state = 'gone'
    clearTimeout(this.headTimer)
    this.queue = undefined
    this.queuedSize = 0
    this.res.destroy()
  }

  /**
   * The adapter's read normally comes right after the head; should a middleware have delayed
   * the head instead, look again shortly (nothing is written meanwhile).
   */
  private waitForHead(): void {
    if (this.headTimer !== undefined || (this.queue === undefined && this.state === 'open')) return
    this.headTimer = setTimeout(() => {
      this.headTimer = undefined
      this.flush()
    }, HEAD_POLL_MS)
  }

  private clientLeft(): void {
    if (this.state === 'gone') return
    this.state = 'gone'
    clearTimeout(this.headTimer)
    this.queue = undefined
    this.queuedSize = 0
    this.listener?.onClientGone()
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

function closeQuietly(controller: ReadableStreamDefaultController<Uint8Array> | undefined): void {
  try {
    controller?.close()
  } catch {
    // Already closed or cancelled: the adapter is done with the response either way.
  }
}
