// A small incremental SSE parser over a fetch Response body, for tests that read real frames.

export interface SseFrame {
  event?: string
  id?: string
  /** `data:` lines joined with "\n". */
  data?: string
  /** Text of a comment line (`: ping` → "ping"). */
  comment?: string
  /** The `retry:` field (reconnect delay in ms). */
  retry?: number
}

/** Comments and a lone `retry:` are no events: an EventSource dispatches nothing for them. */
function isControl(frame: SseFrame): boolean {
  return frame.comment !== undefined || (frame.data === undefined && frame.event === undefined && frame.retry !== undefined)
}

export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>
  private readonly decoder = new TextDecoder()
  private text = ''
  private readonly frames: SseFrame[] = []
  private ended = false
  /** Every frame received so far (comments included). */
  readonly received: SseFrame[] = []

  constructor(readonly response: Response) {
    if (!response.body) throw new Error('response has no body')
    this.reader = response.body.getReader()
  }

  static async open(url: string, init: RequestInit = {}): Promise<SseReader> {
    const response = await fetch(url, init)
    return new SseReader(response)
  }

  /** The next frame (comments included), or `null` when the stream ended. */
  async next(timeoutMs = 5000): Promise<SseFrame | null> {
    const deadline = Date.now() + timeoutMs
    while (this.frames.length === 0) {
      if (this.ended) return null
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`no SSE frame within ${timeoutMs} ms`)
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), remaining)
      })
      const chunk = await Promise.race([this.reader.read(), timeout])
      clearTimeout(timer)
      if (chunk === 'timeout') throw new Error(`no SSE frame within ${timeoutMs} ms`)
      if (chunk.done) {
        this.ended = true
        this.parse(this.decoder.decode())
      } else {
        this.parse(this.decoder.decode(chunk.value, { stream: true }))
      }
    }
    return this.frames.shift()!
  }

  /** The next frame that is not a comment or a lone `retry:`, or `null` at the end. */
  async nextEvent(timeoutMs = 5000): Promise<SseFrame | null> {
    for (;;) {
      const frame = await this.next(timeoutMs)
      if (frame === null || !isControl(frame)) return frame
    }
  }

  /** Non-comment frames until the stream ends. */
  async readToEnd(timeoutMs = 5000): Promise<SseFrame[]> {
    const frames: SseFrame[] = []
    for (;;) {
      const frame = await this.nextEvent(timeoutMs)
      if (frame === null) return frames
      frames.push(frame)
    }
  }

  /** `taskcast.event` envelopes up to and including the done frame, which must be followed by the end. */
  async readUntilDone(timeoutMs = 5000): Promise<{ envelopes: Record<string, unknown>[]; done: SseFrame }> {
    const envelopes: Record<string, unknown>[] = []
    for (;;) {
      const frame = await this.nextEvent(timeoutMs)
      if (frame === null) throw new Error('stream ended without taskcast.done')
      if (frame.event === 'taskcast.done') {
        if ((await this.nextEvent(timeoutMs)) !== null) throw new Error('frames after taskcast.done')
        return { envelopes, done: frame }
      }
      envelopes.push(JSON.parse(frame.data ?? 'null') as Record<string, unknown>)
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => {})
  }

  private parse(chunk: string): void {
    this.text += chunk
    for (;;) {
      const match = /\r\n\r\n|\n\n|\r\r/.exec(this.text)
      if (!match) break
      const block = this.text.slice(0, match.index)
      this.text = this.text.slice(match.index + match[0].length)
      const frame = parseBlock(block)
      this.frames.push(frame)
      this.received.push(frame)
    }
  }
}

function parseBlock(block: string): SseFrame {
  const frame: SseFrame = {}
  const data: string[] = []
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (line.startsWith(':')) {
      frame.comment = line.slice(1).trimStart()
      continue
    }
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') frame.event = value
    else if (field === 'id') frame.id = value
    else if (field === 'data') data.push(value)
    else if (field === 'retry' && /^\d+$/.test(value)) frame.retry = Number(value)
  }
  if (data.length > 0) frame.data = data.join('\n')
  return frame
}
