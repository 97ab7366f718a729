// SIGTERM and SIGINT: open SSE streams end cleanly (no reset), the process exits 0, quickly.
import { describe, expect, it } from 'vitest'
import { api, SseStream } from './helpers/http.js'
import { IN_MEMORY_NOTE, memoryBanner } from './helpers/banner.js'
import { lines, spawnTaskcast, withoutTime } from './helpers/taskcast-process.js'

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s ends an open SSE stream cleanly and exits 0', async (signal) => {
    const proc = spawnTaskcast({ args: ['-p', '0'] })
    const url = await proc.listening
    const task = await api(url, 'POST', '/tasks', { type: 'llm.chat' })
    await api(url, 'PATCH', `/tasks/${task.body.id}/status`, { status: 'running' })
    const stream = await SseStream.open(`${url}/tasks/${task.body.id}/events?includeStatus=false`)
    await api(url, 'POST', `/tasks/${task.body.id}/events`, { type: 'llm.delta', data: { text: 'hi' } })
    const delivered = await stream.next()
    expect(JSON.parse(delivered!.data!)).toMatchObject({ type: 'llm.delta', filteredIndex: 0, data: { text: 'hi' } })

    const started = Date.now()
    proc.child.kill(signal)
    // A clean end: the body finishes (read() reports done); a reset would make it reject.
    expect(await stream.rest()).toEqual([])
    expect(await proc.exited).toEqual({ code: 0, signal: null })
    expect(Date.now() - started).toBeLessThan(5000)
    // No "connections still open" warning: the stream's keep-alive connection went as soon as it ended.
    expect(lines(proc.stdout()).map(withoutTime)).toEqual([
      memoryBanner(url, '127.0.0.1'),
      `INFO  ${IN_MEMORY_NOTE}`,
      `INFO  received ${signal}: shutting down`,
      'INFO  taskcast stopped',
    ])
    expect(proc.stderr()).toBe('')
  })
})
