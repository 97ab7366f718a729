// Talking to a running server over real sockets: JSON requests, an SSE reader, and the
// create → publish → subscribe round trip every config test ends with.
import { expect } from 'vitest'

export interface SseFrame {
  event?: string
  id?: string
  data?: string
}

/** Reads SSE frames (comments skipped) from a fetch response, one at a time. */
export class SseStream {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>
  private readonly decoder = new TextDecoder()
  private buffer = ''
  private readonly queue: SseFrame[] = []
  private ended = false

  constructor(readonly response: Response) {
    this.reader = response.body!.getReader()
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const response = await fetch(url, { headers })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    return new SseStream(response)
  }

  /** The next frame, or `null` once the server ended the stream (cleanly: a reset rejects). */
  async next(timeoutMs = 10_000): Promise<SseFrame | null> {
    const deadline = Date.now() + timeoutMs
    while (this.queue.length === 0 && !this.ended) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no SSE frame within ${timeoutMs} ms`)), Math.max(0, deadline - Date.now()))
      })
      const chunk = await Promise.race([this.reader.read(), timeout]).finally(() => clearTimeout(timer))
      if (chunk.done) this.ended = true
      else this.parse(this.decoder.decode(chunk.value, { stream: true }))
    }
    return this.queue.shift() ?? null
  }

  /** Every frame up to the end of the stream. */
  async rest(timeoutMs = 10_000): Promise<SseFrame[]> {
    const frames: SseFrame[] = []
    for (let frame = await this.next(timeoutMs); frame; frame = await this.next(timeoutMs)) frames.push(frame)
    return frames
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => undefined)
  }

  private parse(text: string): void {
    this.buffer += text
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end)
      this.buffer = this.buffer.slice(end + 2)
      const frame: SseFrame = {}
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = line.slice(0, colon)
        const value = line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') frame.event = value
        else if (field === 'id') frame.id = value
        else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`
      }
      if (Object.keys(frame).length > 0) this.queue.push(frame)
    }
  }
}

export async function api(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? null : JSON.parse(text) }
}

/** What a subscriber saw, reduced to what the round trip checks: frame name, type, index and data. */
function summary(frame: SseFrame): unknown[] {
  const data = JSON.parse(frame.data!)
  return frame.event === 'taskcast.done' ? [frame.event, data] : [frame.event, data.type, data.filteredIndex, data.data]
}

/**
 * Creates a task, subscribes to it over SSE, publishes two deltas, completes it, and checks
 * the subscriber received exactly the status changes, the deltas and the done frame, in order.
 * @returns the task id
 */
export async function roundTrip(baseUrl: string, headers: Record<string, string> = {}): Promise<string> {
  const created = await api(baseUrl, 'POST', '/tasks', { type: 'llm.chat' }, headers)
  expect(created.status).toBe(201)
  const taskId = created.body.id as string
  expect((await api(baseUrl, 'PATCH', `/tasks/${taskId}/status`, { status: 'running' }, headers)).status).toBe(200)

  const stream = await SseStream.open(`${baseUrl}/tasks/${taskId}/events`, headers)
  const published = await api(
    baseUrl,
    'POST',
    `/tasks/${taskId}/events`,
    [
      { type: 'llm.delta', data: { text: 'Once' } },
      { type: 'llm.delta', data: { text: ' upon' } },
    ],
    headers,
  )
  expect(published.status).toBe(201)
  expect((await api(baseUrl, 'PATCH', `/tasks/${taskId}/status`, { status: 'completed' }, headers)).status).toBe(200)

  const frames = await stream.rest()
  expect(frames.map(summary)).toEqual([
    ['taskcast.event', 'taskcast:status', 0, expect.objectContaining({ status: 'running' })],
    ['taskcast.event', 'llm.delta', 1, { text: 'Once' }],
    ['taskcast.event', 'llm.delta', 2, { text: ' upon' }],
    ['taskcast.event', 'taskcast:status', 3, expect.objectContaining({ status: 'completed' })],
    ['taskcast.done', { reason: 'completed' }],
  ])
  return taskId
}
