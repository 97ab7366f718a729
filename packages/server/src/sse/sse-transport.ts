// What an SSE connection needs from the runtime's response: ordered writes, a count of bytes the
// client has not taken yet, and two ways to end. Two implementations: Node's ServerResponse
// (direct, coalesced per tick) and a web stream (any other runtime, and `app.request()`).

/** A chunk of frames: text, or bytes already encoded (shared by every subscriber of an event). */
export type SseChunk = string | Uint8Array

export interface SseTransportListener {
  /** The client went away (never called after a clean end that was fully sent). */
  onClientGone(): void
  /** `pendingBytes` dropped to 0 after a write. */
  onTransportDrained(): void
}

export interface SseTransport {
  /** Queues frames; they leave in order. */
  write(chunk: SseChunk): void
  /** Hands the queued frames to the runtime now instead of at the end of the turn (where that is when they would go). */
  flush?(): void
  /** Bytes accepted by `write` that the transport has not handed to the client yet. */
  readonly pendingBytes: number
  /** Bytes accepted by `write` so far. */
  readonly writtenBytes: number
  /** Tells `listener` when the client goes away and when queued bytes are out. */
  attach(listener: SseTransportListener): void
  /** Ends the response cleanly once the queued frames are out. */
  end(): void
  /** Discards queued frames and closes the connection now. */
  destroy(): void
}

/** Byte size of a chunk; text is counted in UTF-16 units, exact for the ASCII that frames mostly are. */
export function chunkSize(chunk: SseChunk): number {
  return typeof chunk === 'string' ? chunk.length : chunk.byteLength
}

const encoder = new TextEncoder()

/** Several chunks as one byte array (text encoded as UTF-8). */
export function concatBytes(chunks: readonly SseChunk[]): Uint8Array {
  const parts = chunks.map((chunk) => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk))
  let total = 0
  for (const part of parts) total += part.byteLength
  const out = new Uint8Array(total)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}
