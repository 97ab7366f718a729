// Incremental parser for the text/event-stream format (WHATWG HTML §9.2.6), fed raw bytes.
// Chunks may split anywhere: inside a line, between `\r` and `\n`, or inside a multi-byte
// UTF-8 character (the streaming TextDecoder holds incomplete sequences back).

/** One dispatched event, as `EventSource` would deliver it. */
export interface SSEMessage {
  /** The `event:` field, or `message` when the frame had none. */
  event: string
  /** The `data:` lines joined with `\n`. */
  data: string
  /** The last event ID at dispatch: the frame's `id:` field or the one before it. */
  id: string
}

export interface SSEParser {
  /** Feeds the next chunk of the response body. */
  push(chunk: Uint8Array): void
  /** The body ended: an unterminated frame is discarded, as the standard requires. */
  end(): void
}

const LF = 10
const CR = 13
const COLON = 58
const SPACE = 32

export function createSSEParser(onMessage: (message: SSEMessage) => void): SSEParser {
  const decoder = new TextDecoder()
  let pending = ''
  // Where to resume scanning `pending`: the text before it holds no line break.
  let scanFrom = 0
  // A chunk ended with `\r`: a `\n` opening the next chunk belongs to the same line break.
  let skipLeadingLF = false
  let eventType = ''
  let dataLines: string[] = []
  let lastEventId = ''

  function dispatch(): void {
    if (dataLines.length === 0) {
      eventType = ''
      return
    }
    const message: SSEMessage = { event: eventType || 'message', data: dataLines.join('\n'), id: lastEventId }
    eventType = ''
    dataLines = []
    onMessage(message)
  }

  function processLine(line: string): void {
    if (line.length === 0) return dispatch()
    if (line.charCodeAt(0) === COLON) return
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === SPACE) value = value.slice(1)
    switch (field) {
      case 'event':
        eventType = value
        break
      case 'data':
        dataLines.push(value)
        break
      case 'id':
        if (!value.includes('\u0000')) lastEventId = value
        break
      // `retry` and unknown fields are ignored: reconnection timing is the client's policy.
    }
  }

  function processText(text: string): void {
    if (skipLeadingLF && text.length > 0) {
      skipLeadingLF = false
      if (text.charCodeAt(0) === LF) text = text.slice(1)
    }
    pending += text
    let lineStart = 0
    for (let i = scanFrom; i < pending.length; i++) {
      const code = pending.charCodeAt(i)
      if (code !== LF && code !== CR) continue
      const line = pending.slice(lineStart, i)
      if (code === CR) {
        if (i + 1 === pending.length) skipLeadingLF = true
        else if (pending.charCodeAt(i + 1) === LF) i++
      }
      lineStart = i + 1
      processLine(line)
    }
    pending = pending.slice(lineStart)
    scanFrom = pending.length
  }

  return {
    push(chunk) {
      processText(decoder.decode(chunk, { stream: true }))
    },
    end() {
      processText(decoder.decode())
      pending = ''
      scanFrom = 0
      dataLines = []
      eventType = ''
    },
  }
}
