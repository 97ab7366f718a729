// Bytes on the wire per text delta: the SSE frame Taskcast sends a live reader for one delta,
// against the frame the AI SDK's own response (`createUIMessageStreamResponse`: one
// `data: <chunk JSON>` per chunk) sends for the same delta. Measured over a 5,000-delta answer;
// the figures are printed (and quoted in the README). Both carry the same chunk.
import { gzipSync } from 'node:zlib'
import type { UIMessageChunk } from 'ai'
import { createUIMessageStreamResponse } from 'ai'
import { describe, expect, it } from 'vitest'
import { AI_CHUNK_TYPE, publishUIMessageStream } from '../src/index.js'
import { chatServerForFile } from './support/chat-server.js'
import { streamOf } from './support/streams.js'
import { words } from './support/scripts.js'

const server = chatServerForFile()
const utf8 = new TextEncoder()
const DELTAS = 5000

/** The SSE frames of a body (each without its blank-line terminator). */
function framesOf(body: string): string[] {
  return body.split('\n\n').filter((frame) => frame.length > 0)
}

/** The bytes of a frame on the wire, its terminating blank line included. */
const bytesOf = (frame: string): number => utf8.encode(`${frame}\n\n`).length
const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length

describe('a text delta on the wire', () => {
  it('costs a live Taskcast reader more bytes than the AI SDK stream, for the same chunk', async () => {
    const chunks: UIMessageChunk[] = [
      { type: 'start' },
      { type: 'text-start', id: 't0' },
      ...words(DELTAS).map((delta): UIMessageChunk => ({ type: 'text-delta', id: 't0', delta })),
      { type: 'text-end', id: 't0' },
      { type: 'finish', finishReason: 'stop' },
    ]
    const sdkFrames = framesOf(await createUIMessageStreamResponse({ stream: streamOf(chunks) }).text()).filter((frame) =>
      frame.includes('"type":"text-delta"'),
    )

    const task = await server.engine.createTask({ type: 'ai.chat' })
    await server.engine.transitionTask(task.id, 'running')
    const response = await fetch(`${server.url}/tasks/${task.id}/events?types=${AI_CHUNK_TYPE}&includeStatus=false`)
    // The stream is open (its headers arrived): every delta reaches it live, none collapsed.
    await publishUIMessageStream({ publisher: server.engine, taskId: task.id, stream: streamOf(chunks) })
    const taskcastFrames = framesOf(await response.text()).filter((frame) => frame.includes('"type":"text-delta"'))

    expect(taskcastFrames).toHaveLength(DELTAS)
    expect(sdkFrames).toHaveLength(DELTAS)
    const dataOf = (frame: string): unknown => JSON.parse(frame.split('\n').find((line) => line.startsWith('data: '))!.slice(6))
    expect(taskcastFrames.map((frame) => (dataOf(frame) as { data: unknown }).data)).toEqual(sdkFrames.map(dataOf))

    const taskcast = mean(taskcastFrames.map(bytesOf))
    const sdk = mean(sdkFrames.map(bytesOf))
    // What a proxy that compresses the stream sends instead (gzip over the whole answer).
    const gzipped = (frames: string[]): number => gzipSync(frames.map((frame) => `${frame}\n\n`).join('')).length / DELTAS
    console.log(
      `bytes per text delta (mean over ${DELTAS} live deltas of 2-6 characters): Taskcast SSE ${taskcast.toFixed(1)}, ` +
        `AI SDK SSE ${sdk.toFixed(1)} (×${(taskcast / sdk).toFixed(1)}); gzipped ${gzipped(taskcastFrames).toFixed(1)} and ${gzipped(sdkFrames).toFixed(1)}\n` +
        `  Taskcast frame: ${JSON.stringify(taskcastFrames[100])}\n  AI SDK frame:   ${JSON.stringify(sdkFrames[100])}`,
    )
    expect(taskcast).toBeGreaterThan(sdk)
  })
})
