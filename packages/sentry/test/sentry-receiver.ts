// A loopback HTTP server standing in for Sentry's ingest: it records every envelope the real SDK sends.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

export interface EnvelopeItem {
  header: { type: string; length?: number }
  payload: unknown
}

/** The fields of a Sentry event these tests read. */
export interface SentryEvent {
  message?: string
  level?: string
  tags?: Record<string, string>
  contexts?: Record<string, unknown>
  fingerprint?: string[]
  exception?: { values: Array<{ type?: string; value?: string }> }
}

export interface SentryReceiver {
  /** A DSN whose ingest is this server. */
  dsn: string
  /** Paths (without the query) of the requests received, in order. */
  paths: string[]
  envelopes: EnvelopeItem[][]
  /** Every `event` item received so far, in order. */
  events(): SentryEvent[]
  close(): Promise<void>
}

export async function startSentryReceiver(): Promise<SentryReceiver> {
  const paths: string[] = []
  const envelopes: EnvelopeItem[][] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      // The SDK gzips bodies above 32 KiB.
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw
      paths.push(new URL(req.url ?? '/', 'http://receiver').pathname)
      envelopes.push(parseEnvelope(body))
      // Recorded before answering: the SDK's flush resolves only after this response.
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    dsn: `http://public@127.0.0.1:${port}/1`,
    paths,
    envelopes,
    events: () =>
      envelopes.flatMap((items) => items.filter((i) => i.header.type === 'event').map((i) => i.payload as SentryEvent)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

// Envelope: a header line, then per item a header line and a payload that is either `length`
// bytes long or runs to the next newline.
function parseEnvelope(body: Buffer): EnvelopeItem[] {
  let at = 0
  const readLine = (): string => {
    const end = body.indexOf(0x0a, at)
    const line = body.subarray(at, end === -1 ? body.length : end).toString('utf8')
    at = end === -1 ? body.length : end + 1
    return line
  }
  readLine() // envelope header
  const items: EnvelopeItem[] = []
  while (at < body.length) {
    const headerLine = readLine()
    if (headerLine === '') continue
    const header = JSON.parse(headerLine) as EnvelopeItem['header']
    let payload: string
    if (header.length !== undefined) {
      payload = body.subarray(at, at + header.length).toString('utf8')
      at += header.length + 1
    } else {
      payload = readLine()
    }
    items.push({ header, payload: JSON.parse(payload) })
  }
  return items
}
