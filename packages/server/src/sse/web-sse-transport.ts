// SSE over Hono's web-stream helper (`streamSSE`): the transport for runtimes other than Node
// (Bun, Deno, workers) and for `app.request()`. Frames queued in one microtask go out as one
// stream write, so a replay or a batch costs one promise rather than one per frame.
import type { SSEStreamingApi } from 'hono/streaming'
import { chunkSize, concatBytes, type SseChunk, type SseTransport, type SseTransportListener } from './sse-transport.js'

const encoder = new TextEncoder()

export class WebSseTransport implements SseTransport {
  private queue: SseChunk[] = []
  private queuedSize = 0
  private scheduled = false
  /** Bytes handed to the stream whose write has not resolved yet (the stream resolves in order). */
  private inFlight = 0
  private written = 0
  private state: 'open' | 'ended' | 'gone' = 'open'
  private listener: SseTransportListener | undefined
  private resolveEnded!: () => void
  /** Resolves when the response should close: the `streamSSE` callback awaits it. */
  readonly ended = new Promise<void>((resolve) => {
    this.resolveEnded = resolve
  })

  constructor(private readonly stream: SSEStreamingApi) {}

  get pendingBytes(): number {
    return this.state === 'gone' ? 0 : this.queuedSize + this.inFlight
  }

  get writtenBytes(): number {
    return this.written
  }

  attach(listener: SseTransportListener): void {
    this.listener = listener
    this.stream.onAbort(() => {
      if (this.state === 'gone') return
      this.state = 'gone'
      listener.onClientGone()
    })
  }

  write(chunk: SseChunk): void {
    if (this.state !== 'open') return
    const size = chunkSize(chunk)
    this.queue.push(chunk)
    this.queuedSize += size
    this.written += size
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => this.flush())
  }

  end(): void {
    if (this.state !== 'open') return
    this.flush()
    this.state = 'ended'
    this.resolveEnded()
  }

  destroy(): void {
    if (this.state === 'gone') return
    this.state = 'gone'
    this.queue = []
    this.queuedSize = 0
    this.inFlight = 0
    this.stream.abort()
    this.resolveEnded()
  }

  /** Hands the queued frames to the stream now (otherwise they go at the end of the microtask queue). */
  flush(): void {
    this.scheduled = false
    if (this.state !== 'open' || this.queue.length === 0) return
    const queue = this.queue
    const size = this.queuedSize
    this.queue = []
    this.queuedSize = 0
    this.inFlight += size
    const bytes =
      queue.length === 1
        ? toBytes(queue[0]!)
        : queue.every((chunk) => typeof chunk === 'string')
          ? encoder.encode((queue as string[]).join(''))
          : concatBytes(queue)
    // StreamingApi.write resolves once the transport read the chunk, and swallows write errors
    // (the stream was aborted: the bytes are gone either way).
    void this.stream.write(bytes).then(() => {
      if (this.state === 'gone') return
      this.inFlight -= size
      if (this.pendingBytes === 0) this.listener?.onTransportDrained()
    })
  }
}

function toBytes(chunk: SseChunk): Uint8Array {
  return typeof chunk === 'string' ? encoder.encode(chunk) : chunk
}
