// The SSE parser against the WHATWG rules, fed the same bytes split at every possible place.
import { describe, expect, it } from 'vitest'
import { createSSEParser, type SSEMessage } from '../src/wire/sse-parser.js'

const encoder = new TextEncoder()

function parseChunks(chunks: Uint8Array[]): SSEMessage[] {
  const messages: SSEMessage[] = []
  const parser = createSSEParser((message) => messages.push(message))
  for (const chunk of chunks) parser.push(chunk)
  parser.end()
  return messages
}

function parse(text: string): SSEMessage[] {
  return parseChunks([encoder.encode(text)])
}

/** Every way of cutting `bytes` into two chunks, and into one chunk per byte. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const result: Uint8Array[][] = []
  for (let at = 0; at <= bytes.length; at++) result.push([bytes.slice(0, at), bytes.slice(at)])
  result.push(Array.from(bytes, (byte) => Uint8Array.of(byte)))
  return result
}

describe('createSSEParser', () => {
  it('parses Taskcast event and done frames', () => {
    const envelope = { filteredIndex: 0, rawIndex: 3, eventId: '01J', type: 'llm.delta', data: { text: 'hi' } }
    const messages = parse(
      `event: taskcast.event\nid: 01J\ndata: ${JSON.stringify(envelope)}\n\n` +
        'event: taskcast.done\ndata: {"reason":"completed"}\n\n',
    )
    expect(messages).toEqual([
      { event: 'taskcast.event', id: '01J', data: JSON.stringify(envelope) },
      { event: 'taskcast.done', id: '01J', data: '{"reason":"completed"}' },
    ])
  })

  it('yields the same messages however the bytes are split, including inside a multi-byte character', () => {
    // "é" is 2 bytes, "中" 3, "😀" 4: every split point lands inside one of them at least once.
    const text = 'event: taskcast.event\r\nid: a1\r\ndata: {"text":"é中😀"}\r\n\r\n: ping\r\n\r\nevent: x\rdata: 2\r\r'
    const bytes = encoder.encode(text)
    const expected = [
      { event: 'taskcast.event', id: 'a1', data: '{"text":"é中😀"}' },
      { event: 'x', id: 'a1', data: '2' },
    ]
    for (const chunks of splits(bytes)) expect(parseChunks(chunks)).toEqual(expected)
  })

  it('treats \\r\\n split across chunks as one line break, not two', () => {
    // Were the \n counted again it would end the frame early and yield an extra empty line.
    const messages = parseChunks([encoder.encode('data: a\r'), encoder.encode('\ndata: b\r\n\r\n')])
    expect(messages).toEqual([{ event: 'message', id: '', data: 'a\nb' }])
  })

  it('joins multi-line data with \\n and accepts CR, LF and CRLF line endings', () => {
    expect(parse('data: one\ndata: two\r\ndata: three\rdata:\n\n')).toEqual([
      { event: 'message', id: '', data: 'one\ntwo\nthree\n' },
    ])
  })

  it('ignores comments, including the keepalive ping between frames', () => {
    expect(parse(': ping\n\n:another\ndata: x\n: inside a frame\n\n')).toEqual([
      { event: 'message', id: '', data: 'x' },
    ])
  })

  it('strips one leading space of a value only, and reads a field without a colon as empty', () => {
    expect(parse('data:  two spaces\ndata:none\ndata\n\n')).toEqual([
      { event: 'message', id: '', data: ' two spaces\nnone\n' },
    ])
  })

  it('does not dispatch a frame without data, but keeps its id and resets its event name', () => {
    expect(parse('event: ignored\nid: 7\n\ndata: next\n\n')).toEqual([{ event: 'message', id: '7', data: 'next' }])
  })

  it('ignores an id containing NUL, retry and unknown fields', () => {
    expect(parse('id: 1\n\nid: bad\u0000id\nretry: 10\nfoo: bar\ndata: x\n\n')).toEqual([
      { event: 'message', id: '1', data: 'x' },
    ])
  })

  it('discards a frame the stream ended in the middle of', () => {
    expect(parse('data: complete\n\nevent: taskcast.event\ndata: {"cut":')).toEqual([
      { event: 'message', id: '', data: 'complete' },
    ])
  })

  it('drops a byte order mark at the start of the stream', () => {
    expect(parseChunks([Uint8Array.of(0xef, 0xbb), Uint8Array.of(0xbf), encoder.encode('data: x\n\n')])).toEqual([
      { event: 'message', id: '', data: 'x' },
    ])
  })

  it('handles a long line delivered in many small chunks', () => {
    const payload = 'x'.repeat(200_000)
    const bytes = encoder.encode(`data: ${payload}\n\n`)
    const chunks: Uint8Array[] = []
    for (let at = 0; at < bytes.length; at += 1000) chunks.push(bytes.slice(at, at + 1000))
    expect(parseChunks(chunks)).toEqual([{ event: 'message', id: '', data: payload }])
  })
})
