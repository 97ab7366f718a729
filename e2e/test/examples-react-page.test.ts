// examples/react-page, run as its README says: `node build.mjs` bundles the page with esbuild,
// `node server.mjs` serves it next to an embedded Taskcast, and in a real Chromium the page
// (useTaskEvents + accumulateText) shows exactly the story, again after a reload.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserTestsEnabled, launchChromium } from './support/chromium.js'
import { EXAMPLES_DIR, ExampleProcess, runExample } from './support/example-process.js'
import { REPO_DIR } from './support/paths.js'
import { parseSseFrames, readSse } from './support/sse-frames.js'

const DIR = join(EXAMPLES_DIR, 'react-page')
const STORY = 'Once upon a time, a React page reloaded in the middle of a story and still read every word exactly once.'

let build: Awaited<ReturnType<typeof runExample>>
let server: ExampleProcess
let base = ''

beforeAll(async () => {
  if (!existsSync(join(REPO_DIR, 'packages', 'react', 'dist', 'index.js'))) {
    throw new Error('packages/react/dist is missing: build the packages first (pnpm build)')
  }
  build = await runExample({ name: 'build', cwd: DIR, args: ['build.mjs'], timeoutMs: 60_000 })
  if (build.code !== 0) return
  server = ExampleProcess.start({ name: 'react-page', cwd: DIR, args: ['server.mjs'], env: { PORT: '0', WORD_DELAY_MS: '20' } })
  base = await server.listening()
})

afterAll(async () => {
  await server?.kill()
})

describe('examples/react-page', () => {
  it('bundles the page with esbuild', () => {
    expect(build, build.stderr).toMatchObject({ code: 0, stderr: '' })
    expect(build.stdout).toMatch(/^built dist\/app\.js \(\d+ KB\)\n$/)
  })

  it('serves the page and its bundle on the origin of the API', async () => {
    const page = await fetch(`${base}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<div id="root"></div>')
    const bundle = await fetch(`${base}/app.js`)
    expect(bundle.status).toBe(200)
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/)
    // The client's frame names made it into the bundle.
    expect(await bundle.text()).toContain('taskcast.done')
  })

  it('streams the story of its /stories route', async () => {
    const { taskId } = (await (await fetch(`${base}/stories`, { method: 'POST' })).json()) as { taskId: string }
    const { text } = await readSse(`${base}/taskcast/tasks/${taskId}/events?seriesFormat=accumulated&includeStatus=false`)
    const deltas = parseSseFrames(text).filter((frame) => frame.event === 'taskcast.event')
    expect(JSON.parse(deltas.at(-1)!.data!).data).toEqual({ text: STORY })
  })
})

describe.runIf(browserTestsEnabled('examples/react-page'))('examples/react-page in Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
  })

  it('shows exactly the story with useTaskEvents, and again after a reload', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    const done = () =>
      page.waitForFunction(() => document.getElementById('status')?.textContent === 'done: completed', null, { timeout: 30_000 })

    await page.goto(`${base}/`)
    await page.click('#start')
    await done()
    expect(await page.textContent('#text')).toBe(STORY)
    expect(page.url()).toMatch(/\?task=/)

    // Rejoining without a cursor: the running status, the story as one snapshot, the end.
    await page.reload()
    await done()
    expect(await page.textContent('#text')).toBe(STORY)
    expect(await page.textContent('#count')).toBe('3')
    expect(errors).toEqual([])
    await page.close()
  })

  it('says so when the task does not exist', async () => {
    const page = await browser.newPage()
    await page.goto(`${base}/?task=no-such-task`)
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('error'), null, { timeout: 30_000 })
    expect(await page.textContent('#status')).toBe('error: TASK_NOT_FOUND')
    await page.close()
  })
})

describe('examples/react-page shutdown', () => {
  it('exits 0 on SIGTERM', async () => {
    expect(await server.stop()).toEqual({ code: 0, signal: null })
  })
})
