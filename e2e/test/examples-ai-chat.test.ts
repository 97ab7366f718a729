// examples/ai-chat, run as its README says: `node build.mjs` and `node server.mjs` (Hono, Taskcast
// embedded, the mock model's 300-delta answer). In a real Chromium, with `useChat({ transport,
// resume: true })`: a reload in the middle of the answer ends with exactly the model's text; a
// second tab opened mid-answer shows the same text; Stop cancels the task and the mock model
// sees its abort signal.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserTestsEnabled, launchChromium } from './support/chromium.js'
import { EXAMPLES_DIR, ExampleProcess, runExample } from './support/example-process.js'
import { REPO_DIR } from './support/paths.js'

const DIR = join(EXAMPLES_DIR, 'ai-chat')
// What mock-model.mjs answers, delta by delta.
const DELTAS = 300
const ANSWER = Array.from({ length: DELTAS }, (_, i) => `Delta ${i + 1} of ${DELTAS}.`).join(' ')
const QUESTION = 'Count to three hundred, please.'

let build: Awaited<ReturnType<typeof runExample>>
let server: ExampleProcess
let base = ''
let chats = 0

beforeAll(async () => {
  if (!existsSync(join(REPO_DIR, 'packages', 'ai-sdk', 'dist', 'index.js'))) {
    throw new Error('packages/ai-sdk/dist is missing: build the packages first (pnpm build)')
  }
  build = await runExample({ name: 'build', cwd: DIR, args: ['build.mjs'], timeoutMs: 60_000 })
  if (build.code !== 0) return
  // 300 deltas 30 ms apart: nine seconds of answer, time to reload, open a tab, press Stop.
  server = ExampleProcess.start({ name: 'server', cwd: DIR, args: ['server.mjs'], env: { PORT: '0', DELTA_DELAY_MS: '30' } })
  base = await server.listening()
})

afterAll(async () => {
  await server?.kill()
})

interface StoredChat {
  messages: { id: string; role: string; parts: { type: string; text?: string }[] }[]
  activeTaskId: string | null
}

async function storedChat(chatId: string): Promise<StoredChat> {
  return (await (await fetch(`${base}/api/chats/${chatId}`)).json()) as StoredChat
}

describe('examples/ai-chat', () => {
  it('bundles the page with esbuild', () => {
    expect(build, build.stderr).toMatchObject({ code: 0, stderr: '' })
    expect(build.stdout).toMatch(/^built dist\/app\.js \(\d+ KB\)\n$/)
  })

  it('serves the page, its bundle, the chat store and the Taskcast API under /taskcast', async () => {
    expect(await (await fetch(`${base}/`)).text()).toContain('<div id="root"></div>')
    const bundle = await fetch(`${base}/app.js`)
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(await bundle.text()).toContain('stopped by the user')
    expect(await storedChat('never-used')).toEqual({ messages: [], activeTaskId: null })
    expect((await fetch(`${base}/taskcast/health`)).status).toBe(200)
  })
})

describe.runIf(browserTestsEnabled('examples/ai-chat'))('examples/ai-chat in Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
  })

  /** A tab on the chat's URL that records its errors; `errors` must stay empty. */
  async function openChat(chatId: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    await page.goto(`${base}/?chat=${chatId}`)
    await page.waitForSelector('#prompt', { timeout: 20_000 })
    return { page, errors }
  }

  /** Types the question and sends it; resolves with the task the server started for it. */
  async function ask(page: Page, chatId: string): Promise<string> {
    await page.fill('#prompt', QUESTION)
    await page.click('#send')
    return (await server.waitForOutput(new RegExp(`^chat ${chatId}: task (\\S+)$`, 'm')))[1]!
  }

  const answerText = (page: Page) => page.$eval('#messages .assistant .text', (element) => element.textContent)
  /** Waits until the answer on the page has its `n`th delta. */
  const answerReaches = (page: Page, n: number) =>
    page.waitForFunction(
      (needle) => document.querySelector('#messages .assistant .text')?.textContent?.includes(needle),
      `Delta ${n} of ${DELTAS}.`,
      { timeout: 20_000 },
    )
  const statusIs = (page: Page, status: string) =>
    page.waitForFunction((expected) => document.getElementById('status')?.textContent === expected, status, { timeout: 20_000 })

  it('a reload in the middle of the answer picks it up again, ending with exactly the model text', async () => {
    const chatId = `reload-${++chats}`
    const { page, errors } = await openChat(chatId)
    const taskId = await ask(page, chatId)
    await answerReaches(page, 40)

    await page.reload()
    await page.waitForSelector('#messages .assistant', { timeout: 20_000 })
    // Still streaming after the reload: the answer resumed, it was not loaded whole.
    const last = `Delta ${DELTAS} of ${DELTAS}.`
    expect(await page.$eval('#messages .assistant .text', (element, end) => element.textContent!.endsWith(end), last)).toBe(false)
    await server.waitForOutput(new RegExp(`^task ${taskId}: completed$`, 'm'))
    await statusIs(page, 'ready')

    expect(await answerText(page)).toBe(ANSWER)
    expect(await page.$$eval('#messages .message', (items) => items.map((item) => item.className))).toEqual(['message user', 'message assistant'])
    const stored = await storedChat(chatId)
    expect(stored.activeTaskId).toBeNull()
    expect(stored.messages.map((message) => message.parts.filter((part) => part.type === 'text').map((part) => part.text).join(''))).toEqual([
      QUESTION,
      ANSWER,
    ])
    expect(errors).toEqual([])
    await page.close()
  })

  it('a second tab opened mid-answer shows the same answer live, and both end with the model text', async () => {
    const chatId = `tabs-${++chats}`
    const first = await openChat(chatId)
    const taskId = await ask(first.page, chatId)
    await answerReaches(first.page, 40)

    const second = await openChat(chatId)
    await second.page.waitForSelector('#messages .assistant', { timeout: 20_000 })
    await server.waitForOutput(new RegExp(`^task ${taskId}: completed$`, 'm'))
    await statusIs(first.page, 'ready')
    await statusIs(second.page, 'ready')

    expect(await answerText(first.page)).toBe(ANSWER)
    expect(await answerText(second.page)).toBe(ANSWER)
    expect(await second.page.$eval('#messages .user .text', (element) => element.textContent)).toBe(QUESTION)
    expect([first.errors, second.errors]).toEqual([[], []])
    await first.page.close()
    await second.page.close()
  })

  it('Stop cancels the task: the mock model sees its abort signal, and every tab ends with the text so far', async () => {
    const chatId = `stop-${++chats}`
    const first = await openChat(chatId)
    const taskId = await ask(first.page, chatId)
    await answerReaches(first.page, 20)
    const second = await openChat(chatId)
    await second.page.waitForSelector('#messages .assistant', { timeout: 20_000 })

    await second.page.click('#stop')

    const [, sent] = await server.waitForOutput(/^model: aborted after (\d+) of 300 deltas$/m)
    expect(Number(sent)).toBeLessThan(DELTAS)
    await server.waitForOutput(new RegExp(`^task ${taskId}: cancelled$`, 'm'))
    const task = (await (await fetch(`${base}/taskcast/tasks/${taskId}`)).json()) as { status: string }
    expect(task.status).toBe('cancelled')
    for (const tab of [first, second]) {
      await statusIs(tab.page, 'ready')
      const text = (await answerText(tab.page))!
      expect(ANSWER.startsWith(text) && text.length < ANSWER.length, text).toBe(true)
      expect(tab.errors).toEqual([])
      await tab.page.close()
    }
  })
})

describe('examples/ai-chat shutdown', () => {
  it('the server exits 0 on SIGTERM, having logged no error', async () => {
    expect(await server.stop()).toEqual({ code: 0, signal: null })
    expect(server.stderr).toBe('')
  })
})
