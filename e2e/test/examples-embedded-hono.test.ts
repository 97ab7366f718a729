// examples/embedded-hono, run as its README says (`node server.mjs`): the Taskcast API mounted
// under /taskcast answers the README's curl flow byte for byte, its own /stories route streams a
// story, the page follows it in a real Chromium with a plain EventSource, and SIGTERM ends it.
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserTestsEnabled, launchChromium } from './support/chromium.js'
import { EXAMPLES_DIR, ExampleProcess } from './support/example-process.js'
import { parseSseFrames, readSse } from './support/sse-frames.js'

const DIR = join(EXAMPLES_DIR, 'embedded-hono')
// The story server.mjs tells, and the deltas it tells it in (the spaces stay with the words).
const STORY = 'Once upon a time, a task streamed its story to every tab that asked, and nobody missed a word.'
const WORDS = STORY.split(/(?<= )/).length

interface Envelope {
  filteredIndex: number
  rawIndex: number
  eventId: string
  type: string
  data: Record<string, unknown>
  seriesSnapshot?: boolean
}

let server: ExampleProcess
let base = ''

beforeAll(async () => {
  server = ExampleProcess.start({ name: 'embedded-hono', cwd: DIR, args: ['server.mjs'], env: { PORT: '0', WORD_DELAY_MS: '20' } })
  base = await server.listening()
})

afterAll(async () => {
  await server?.kill()
})

async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; json: any }> {
  const response = await fetch(`${base}/taskcast${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body !== undefined && { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : undefined }
}

describe('examples/embedded-hono over HTTP', () => {
  let taskId = ''
  let lastEventId = ''

  it('streams a task under /taskcast: retry first, every event once, then done', async () => {
    const created = await api('/tasks', { method: 'POST', body: { type: 'llm.chat', params: { prompt: 'Tell me a story' } } })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ type: 'llm.chat', status: 'pending' })
    taskId = created.json.id

    // Opened while the task is pending: the server holds it and streams from the start once running.
    const stream = readSse(`${base}/taskcast/tasks/${taskId}/events`)
    expect((await api(`/tasks/${taskId}/status`, { method: 'PATCH', body: { status: 'running' } })).status).toBe(200)
    const published = await api(`/tasks/${taskId}/events`, {
      method: 'POST',
      body: { type: 'llm.delta', data: { text: 'Once upon a time...' }, seriesId: 'response', seriesMode: 'accumulate' },
    })
    expect(published.status).toBe(201)
    const completed = await api(`/tasks/${taskId}/status`, {
      method: 'PATCH',
      body: { status: 'completed', result: { output: 'Once upon a time... The End.' } },
    })
    expect(completed.status).toBe(200)
    expect(completed.json).toMatchObject({ status: 'completed', result: { output: 'Once upon a time... The End.' } })

    const { status, headers, text } = await stream
    expect(status).toBe(200)
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/)
    expect(headers.get('cache-control')).toBe('no-cache')
    expect(headers.get('x-accel-buffering')).toBe('no')
    expect(text.startsWith('retry: 1000\n\n')).toBe(true)

    const history = await api(`/tasks/${taskId}/events/history`)
    expect(history.status).toBe(200)
    const ids: string[] = history.json.map((event: { id: string }) => event.id)
    expect(ids).toHaveLength(3)
    lastEventId = ids[2]!

    const frames = parseSseFrames(text).filter((frame) => frame.comment === undefined)
    expect(frames.map((frame) => ({ ...frame, data: frame.data && JSON.parse(frame.data) }))).toEqual([
      { retry: '1000', data: undefined },
      {
        event: 'taskcast.event',
        id: ids[0],
        data: {
          filteredIndex: 0,
          rawIndex: 0,
          eventId: ids[0],
          taskId,
          type: 'taskcast:status',
          timestamp: expect.any(Number),
          level: 'info',
          data: { status: 'running', previousStatus: 'pending' },
        },
      },
      {
        event: 'taskcast.event',
        id: published.json.id,
        data: {
          filteredIndex: 1,
          rawIndex: 1,
          eventId: published.json.id,
          taskId,
          type: 'llm.delta',
          timestamp: published.json.timestamp,
          level: 'info',
          data: { text: 'Once upon a time...' },
          seriesId: 'response',
          seriesMode: 'accumulate',
          seriesAccField: 'text',
        },
      },
      {
        event: 'taskcast.event',
        id: ids[2],
        data: {
          filteredIndex: 2,
          rawIndex: 2,
          eventId: ids[2],
          taskId,
          type: 'taskcast:status',
          timestamp: expect.any(Number),
          level: 'info',
          data: { status: 'completed', previousStatus: 'running', result: { output: 'Once upon a time... The End.' } },
        },
      },
      { event: 'taskcast.done', data: { reason: 'completed' } },
    ])
  })

  it('answers 204 to an EventSource reconnect after the end; since.id still gets the done frame', async () => {
    const reconnect = await readSse(`${base}/taskcast/tasks/${taskId}/events`, { 'Last-Event-ID': lastEventId })
    expect(reconnect.status).toBe(204)
    expect(reconnect.text).toBe('')

    const resumed = await readSse(`${base}/taskcast/tasks/${taskId}/events?since.id=${lastEventId}`)
    expect(resumed.status).toBe(200)
    expect(parseSseFrames(resumed.text)).toEqual([{ retry: '1000' }, { event: 'taskcast.done', data: '{"reason":"completed"}' }])
  })

  it('keeps the JSON errors of the API under the prefix', async () => {
    expect(await api('/tasks/no-such-task')).toEqual({
      status: 404,
      json: { error: { code: 'TASK_NOT_FOUND', message: 'task no-such-task not found' } },
    })
    const empty = await api('/tasks', { method: 'POST', body: '' })
    expect(empty.status).toBe(400)
    expect(empty.json.error.code).toBe('VALIDATION_ERROR')
    const pending = await api('/tasks', { method: 'POST', body: {} })
    const early = await api(`/tasks/${pending.json.id}/events`, { method: 'POST', body: { type: 'llm.delta', data: {} } })
    expect(early.status).toBe(400)
    expect(early.json.error.code).toBe('TASK_NOT_RUNNING')
  })

  it('starts a story from its own route and streams it to the end', async () => {
    const response = await fetch(`${base}/stories`, { method: 'POST' })
    expect(response.status).toBe(201)
    const { taskId: storyId } = (await response.json()) as { taskId: string }

    const { text } = await readSse(`${base}/taskcast/tasks/${storyId}/events?seriesFormat=accumulated`)
    const frames = parseSseFrames(text).filter((frame) => frame.comment === undefined)
    expect(frames.at(-1)).toEqual({ event: 'taskcast.done', data: '{"reason":"completed"}' })
    const envelopes = frames.filter((frame) => frame.event === 'taskcast.event').map((frame) => JSON.parse(frame.data!) as Envelope)
    // Late or not, filteredIndex ends at the completed status: running, WORDS deltas, completed.
    expect(envelopes.at(-1)).toMatchObject({ filteredIndex: WORDS + 1, type: 'taskcast:status', data: { status: 'completed' } })
    expect(envelopes.filter((envelope) => envelope.type === 'llm.delta').at(-1)!.data.text).toBe(STORY)
  })
})

describe.runIf(browserTestsEnabled('examples/embedded-hono'))('examples/embedded-hono in Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
  })

  it('the page tells the story with a plain EventSource, and the whole of it again after a reload', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`${base}/`)
    await page.click('#start')
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'done: completed', null, { timeout: 30_000 })
    expect(await page.textContent('#text')).toBe(STORY)
    const log = await page.$$eval('#log li', (items) => items.map((item) => item.textContent))
    expect(log[0]).toBe('taskcast:status')
    expect(log.at(-1)).toBe('taskcast:status')
    expect(log.length).toBeLessThanOrEqual(WORDS + 2)
    expect(page.url()).toMatch(/\?task=/)

    // The reloaded page joins without a cursor: the story arrives as one snapshot.
    await page.reload()
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'done: completed', null, { timeout: 30_000 })
    expect(await page.textContent('#text')).toBe(STORY)
    expect(await page.$$eval('#log li', (items) => items.map((item) => item.textContent))).toEqual([
      'taskcast:status',
      'llm.delta (snapshot)',
      'taskcast:status',
    ])
    expect(errors).toEqual([])
    await page.close()
  })

  it('says so when the task does not exist', async () => {
    const page = await browser.newPage()
    await page.goto(`${base}/?task=no-such-task`)
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('error'), null, { timeout: 30_000 })
    expect(await page.textContent('#status')).toBe('error: the stream was refused')
    await page.close()
  })

  it('an EventSource that is never closed stops by itself once the task is over (204 on its reconnect)', async () => {
    const response = await fetch(`${base}/stories`, { method: 'POST' })
    const { taskId } = (await response.json()) as { taskId: string }
    // Read to its end first: the EventSource below then joins a finished task.
    await readSse(`${base}/taskcast/tasks/${taskId}/events`)
    const page = await browser.newPage()
    await page.goto(`${base}/`)
    const seen = await page.evaluate(
      (url) =>
        new Promise<{ events: number; done: number; reconnects: number }>((resolve) => {
          const source = new EventSource(url)
          const seen = { events: 0, done: 0, reconnects: 0 }
          source.addEventListener('taskcast.event', () => seen.events++)
          source.addEventListener('taskcast.done', () => seen.done++)
          source.addEventListener('error', () => {
            // CONNECTING: the stream ended and it will try again; CLOSED: it gave up for good.
            if (source.readyState === EventSource.CLOSED) resolve(seen)
            else seen.reconnects++
          })
        }),
      `${base}/taskcast/tasks/${taskId}/events`,
    )
    // running, the story as one snapshot, completed; one done frame; one reconnect, answered 204.
    expect(seen).toEqual({ events: 3, done: 1, reconnects: 1 })
    await page.close()
  })
})

describe('examples/embedded-hono shutdown', () => {
  it('ends an open stream cleanly and exits 0 on SIGTERM', async () => {
    const created = await api('/tasks', { method: 'POST', body: {} })
    // A pending task: the stream stays open until the server ends it.
    const stream = readSse(`${base}/taskcast/tasks/${created.json.id}/events`)
    await expect.poll(async () => (await fetch(`${base}/`)).status).toBe(200)
    const exit = await server.stop()
    expect(exit).toEqual({ code: 0, signal: null })
    const { status, text } = await stream
    expect(status).toBe(200)
    expect(parseSseFrames(text)).toEqual([{ retry: '1000' }])
  })
})
