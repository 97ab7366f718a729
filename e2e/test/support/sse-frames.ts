// Reads a whole SSE response as text and splits it into frames, to assert on what went over the
// wire (field by field, comments included) rather than on what a client library made of it.

export interface SseFrame {
  /** `retry`, `event`, `id`, `data` (joined with \n), and `comment` for `: …` lines. */
  [field: string]: string
}

/** Splits `text/event-stream` text into frames (blank-line separated; `\n` line ends, as Taskcast writes). */
export function parseSseFrames(text: string): SseFrame[] {
  const frames: SseFrame[] = []
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue
    const frame: SseFrame = {}
    for (const line of block.split('\n')) {
      if (line === '') continue
      if (line.startsWith(':')) {
        frame.comment = line.slice(1).trim()
        continue
      }
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      frame[field] = frame[field] === undefined ? value : `${frame[field]}\n${value}`
    }
    frames.push(frame)
  }
  return frames
}

/** GET `url` as an event stream and read it to its end (the server ends it after `taskcast.done`). */
export async function readSse(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: AbortSignal.timeout(30_000) })
  return { status: response.status, headers: response.headers, text: await response.text() }
}
