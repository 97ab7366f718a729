// A real headless Chromium: a page using the bundled client follows an accumulate series,
// is reloaded mid-stream, and must end showing exactly the full text; a second tab too.
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { bundleClient } from './support/bundle-client.js'
import { describeWithChromium } from './support/chromium.js'
import { deltas } from './support/recorder.js'
import { startTaskcastServer, type TestServer } from './support/taskcast-server.js'

// The page: subscribe to ?task=…, fold the series into #text, log what arrived for the test.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>taskcast browser test</title>
<pre id="text"></pre>
<p id="status">loading</p>
<script type="module">
  import { TaskcastClient, appendSeriesText } from '/client.js'
  const taskId = new URLSearchParams(location.search).get('task')
  const client = new TaskcastClient({ baseUrl: location.origin, reconnect: { initialDelayMs: 50 } })
  const status = document.getElementById('status')
  let text = ''
  window.received = []
  const handle = client.subscribe(taskId, {
    filter: { types: ['llm.*'] },
    onEvent(envelope) {
      window.received.push({ type: envelope.type, snapshot: envelope.seriesSnapshot === true, filteredIndex: envelope.filteredIndex })
      text = appendSeriesText(text, envelope, 'out')
      document.getElementById('text').textContent = text
    },
    onDone(reason) { status.textContent = 'done: ' + reason },
    onError(error) { status.textContent = 'error: ' + error.code },
  })
  handle.finished.then((reason) => { window.finished = reason }, (error) => { window.finished = 'rejected: ' + error.name })
  status.textContent = 'subscribed'
</script>`

type Received = { type: string; snapshot: boolean; filteredIndex: number }[]

describeWithChromium('@taskcast/client in headless Chromium', (executablePath) => {
  let server: TestServer
  let browser: Browser

  beforeAll(async () => {
    const bundle = await bundleClient({ minify: false })
    server = await startTaskcastServer({
      // Same origin as the API, so the page needs no CORS.
      routes: {
        '/': () => new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
        '/client.js': () => new Response(bundle.code, { headers: { 'content-type': 'text/javascript' } }),
      },
    })
    browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  async function post(path: string, body: unknown, method = 'POST'): Promise<unknown> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(response.ok).toBe(true)
    return response.json()
  }

  const connects = (taskId: string): number =>
    server.sse.filter((e) => e.taskId === taskId && e.kind === 'connect').length

  async function finalState(page: Page): Promise<{ text: string; received: Received }> {
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('done'), null, {
      timeout: 30_000,
    })
    expect(await page.textContent('#status')).toBe('done: completed')
    // `finished` settles in the microtask right after onDone, before the poll above saw it.
    expect(await page.evaluate(() => (window as unknown as { finished?: string }).finished)).toBe('completed')
    return {
      text: (await page.textContent('#text')) ?? '',
      received: await page.evaluate(() => (window as unknown as { received: Received }).received),
    }
  }

  it('shows exactly the full text after a reload mid-stream, in a second tab too', { timeout: 120_000 }, async () => {
    const task = (await post('/tasks', { type: 'llm.chat' })) as { id: string }
    await post(`/tasks/${task.id}/status`, { status: 'running' }, 'PATCH')

    const first = await browser.newPage()
    await first.goto(`${server.url}/?task=${task.id}`)
    await server.sseSettles(() => connects(task.id) === 1)

    let reload: Promise<unknown> | undefined
    let second: Page | undefined
    let secondLoad: Promise<unknown> | undefined
    for (const [i, delta] of deltas(200).entries()) {
      if (i === 80) reload = first.reload()
      // Deltas keep flowing while the page reloads; from 100 on, it is surely live again.
      if (i === 100) await server.sseSettles(() => connects(task.id) === 2)
      if (i === 120) {
        second = await browser.newPage()
        secondLoad = second.goto(`${server.url}/?task=${task.id}`)
      }
      if (i === 140) await server.sseSettles(() => connects(task.id) === 3)
      await post(`/tasks/${task.id}/events`, delta)
    }
    await Promise.all([reload, secondLoad])
    await post(`/tasks/${task.id}/status`, { status: 'completed' }, 'PATCH')

    const fullText = deltas(200)
      .map((d) => d.data.text)
      .join('')
    for (const page of [first, second!]) {
      const { text, received } = await finalState(page)
      expect(text).toBe(fullText)
      // A late joiner: the running status, one snapshot of the deltas before it joined, then
      // each later delta once (consecutive filteredIndex), then the completed status.
      expect(received.slice(0, 2).map((r) => [r.type, r.snapshot, r.filteredIndex])).toEqual([
        ['taskcast:status', false, 0],
        ['llm.delta', true, received[1]!.filteredIndex],
      ])
      expect(received[1]!.filteredIndex).toBeGreaterThanOrEqual(80)
      expect(received.slice(2).every((r) => !r.snapshot)).toBe(true)
      const after = received.slice(1).map((r) => r.filteredIndex)
      expect(after).toEqual(Array.from({ length: after.length }, (_, k) => after[0]! + k))
      expect(after.at(-1)).toBe(201) // running status, 200 deltas, completed status
    }
    // The page that was reloaded closed its first stream.
    expect(server.openStreams(task.id)).toBe(0)
  })
})
