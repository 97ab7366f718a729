// examples/agent-approval, run as its README says: a standalone `taskcast` in memory,
// `node build.mjs` and `node server.mjs` (the page, the API passed through, the slow "LLM"), and
// `node agent.mjs` once per run. In a real Chromium the page shows the agent's question; Approve
// lets the agent go on to the end; in a second run Stop aborts the agent's in-flight LLM fetch.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserTestsEnabled, launchChromium } from './support/chromium.js'
import { EXAMPLES_DIR, ExampleProcess, runExample, startTaskcast } from './support/example-process.js'
import { REPO_DIR } from './support/paths.js'

const DIR = join(EXAMPLES_DIR, 'agent-approval')
// What agent.mjs says, and what slow-llm.mjs answers (38 words).
const THINKING = 'To find what takes the space, I will measure each folder under ~/projects. '
const TOOL_OUTPUT = '412M taskcast, 18M blog, 3M notes. '
const SKIPPED = 'Without measuring, I can only guess. '
const ANSWER =
  'The largest folder is taskcast, at 412 MB, and most of it is node_modules. ' +
  'Deleting node_modules and installing again when you next work on it would free about 380 MB; ' +
  'every other project takes less than 20 MB.'
const TOOL_CALL = { tool: 'shell', command: 'du -sh ~/projects/*' }
const WAITING = 'waiting for approval: shell du -sh ~/projects/*'

interface StatusData {
  status: string
  previousStatus: string
  [field: string]: unknown
}

let build: Awaited<ReturnType<typeof runExample>>
let taskcastUrl = ''
let server: ExampleProcess
let base = ''

beforeAll(async () => {
  if (!existsSync(join(REPO_DIR, 'packages', 'react', 'dist', 'index.js'))) {
    throw new Error('packages/react/dist is missing: build the packages first (pnpm build)')
  }
  build = await runExample({ name: 'build', cwd: DIR, args: ['build.mjs'], timeoutMs: 60_000 })
  if (build.code !== 0) return
  taskcastUrl = (await startTaskcast()).url
  server = ExampleProcess.start({
    name: 'server',
    cwd: DIR,
    args: ['server.mjs'],
    env: { PORT: '0', TASKCAST_URL: taskcastUrl, LLM_WORD_DELAY_MS: '60' },
  })
  base = await server.listening()
})

afterAll(async () => {
  await server?.kill()
})

/** `node agent.mjs`; `delayMs` between the words it says itself. */
function startAgent(delayMs = 10): ExampleProcess {
  return ExampleProcess.start({
    name: 'agent',
    cwd: DIR,
    args: ['agent.mjs'],
    env: { TASKCAST_URL: taskcastUrl, PAGE_URL: base, LLM_URL: `${base}/llm`, DELTA_DELAY_MS: String(delayMs) },
  })
}

async function getTask(taskId: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${taskcastUrl}/tasks/${taskId}`)).json()) as Record<string, unknown>
}

/** What the agent prints first, then `more`, one line each. */
function agentOutput(taskId: string, ...more: string[]): string {
  return [`created task ${taskId}`, `open ${base}/?task=${taskId}`, 'running', ...more].map((line) => `${line}\n`).join('')
}

/** The data of the task's status events, as the server logged them. */
async function statusEvents(taskId: string): Promise<StatusData[]> {
  const history = (await (await fetch(`${taskcastUrl}/tasks/${taskId}/events/history`)).json()) as { type: string; data: StatusData }[]
  return history.filter((event) => event.type === 'taskcast:status').map((event) => event.data)
}

describe('examples/agent-approval', () => {
  it('bundles the page with esbuild', () => {
    expect(build, build.stderr).toMatchObject({ code: 0, stderr: '' })
    expect(build.stdout).toMatch(/^built dist\/app\.js \(\d+ KB\)\n$/)
  })

  it('serves the page and its bundle, and passes the Taskcast API through under /taskcast', async () => {
    const page = await fetch(`${base}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<div id="root"></div>')
    const bundle = await fetch(`${base}/app.js`)
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/)
    // The page's own code made it into the bundle, next to the client's.
    expect(await bundle.text()).toContain('stopped by user')
    const health = await fetch(`${base}/taskcast/health`)
    expect(health.status).toBe(200)
    const missing = await fetch(`${base}/taskcast/tasks/no-such-task`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: { code: 'TASK_NOT_FOUND' } })
  })
})

describe.runIf(browserTestsEnabled('examples/agent-approval'))('examples/agent-approval in Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
  })

  /** A page that records its errors; `errors` must stay empty. */
  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    return { page, errors }
  }

  const statusIs = (page: Page, status: string) =>
    page.waitForFunction((expected) => document.getElementById('status')?.textContent === expected, status, { timeout: 20_000 })
  const listedStatuses = (page: Page) => page.$$eval('#statuses li', (items) => items.map((item) => item.textContent))

  it('shows the question; Approve lets the agent run the tool and finish, and the answer stays with the task', async () => {
    const agent = startAgent()
    const taskId = (await agent.waitForOutput(/^created task (\S+)$/m))[1]!
    const link = (await agent.waitForOutput(/^open (\S+)$/m))[1]!
    expect(link).toBe(`${base}/?task=${taskId}`)

    const { page, errors } = await openPage()
    await page.goto(link)
    await page.waitForSelector('#question', { timeout: 20_000 })
    expect(await page.textContent('#command')).toBe(TOOL_CALL.command)
    expect(await page.textContent('#status')).toBe('blocked')
    expect(await page.textContent('#text')).toBe(THINKING)
    expect(await getTask(taskId)).toMatchObject({ status: 'blocked', blockedRequest: { type: 'approval', data: TOOL_CALL } })
    // The agent prints this once its transition is answered, which may be after the page saw it.
    await agent.waitForOutput(/^waiting for approval: /m)
    expect(agent.stdout).toBe(agentOutput(taskId, WAITING))

    // The question is part of the task, not of this page: a reload asks it again.
    await page.reload()
    await page.waitForSelector('#question', { timeout: 20_000 })

    await page.click('#approve')
    await statusIs(page, 'done: completed')
    expect(await agent.exit(), agent.describe()).toEqual({ code: 0, signal: null })
    expect(agent.stdout).toBe(agentOutput(taskId, WAITING, 'approved', 'calling the LLM', 'completed'))
    expect(agent.stderr).toBe('')
    expect(await page.textContent('#text')).toBe(THINKING + TOOL_OUTPUT + ANSWER)
    expect(await page.$('#question')).toBeNull()
    expect(await listedStatuses(page)).toEqual(['running', 'blocked', 'running', 'completed'])
    await server.waitForOutput(/^llm: sent all 38 words$/m)

    const task = await getTask(taskId)
    expect(task).toMatchObject({ status: 'completed', resolution: { approved: true }, result: { approved: true, answer: ANSWER } })
    expect(task).not.toHaveProperty('blockedRequest')
    expect(await statusEvents(taskId)).toEqual([
      { status: 'running', previousStatus: 'pending' },
      { status: 'blocked', previousStatus: 'running', request: { type: 'approval', data: TOOL_CALL } },
      { status: 'running', previousStatus: 'blocked', resolution: { approved: true } },
      { status: 'completed', previousStatus: 'running', result: { approved: true, answer: ANSWER } },
    ])
    expect(errors).toEqual([])
    await page.close()
  })

  it("Deny, then Stop during the slow LLM call: the agent's in-flight fetch is aborted, the task ends cancelled, the agent exits 0", async () => {
    const agent = startAgent()
    const link = (await agent.waitForOutput(/^open (\S+)$/m))[1]!
    const taskId = new URL(link).searchParams.get('task')!
    const { page, errors } = await openPage()
    await page.goto(link)
    await page.click('#deny', { timeout: 20_000 })

    // The first words of the LLM's answer are on the page: its response is streaming.
    const started = THINKING + SKIPPED + ANSWER.slice(0, 'The largest'.length)
    await page.waitForFunction((prefix) => document.getElementById('text')?.textContent?.startsWith(prefix), started, {
      timeout: 20_000,
    })
    await page.click('#stop')

    const [, closedAfter] = await server.waitForOutput(/^llm: request closed after (\d+) of 38 words$/m)
    expect(Number(closedAfter)).toBeLessThan(38)
    expect(await agent.exit(), agent.describe()).toEqual({ code: 0, signal: null })
    const [, readChars] = await agent.waitForOutput(/^llm call aborted after (\d+) characters$/m)
    expect(Number(readChars)).toBeLessThan(ANSWER.length)
    expect(agent.stdout).toBe(
      agentOutput(taskId, WAITING, 'denied', 'calling the LLM', `llm call aborted after ${readChars} characters`, 'stopped: stopped by user'),
    )
    expect(agent.stderr).toBe('')

    await statusIs(page, 'done: cancelled')
    expect(await listedStatuses(page)).toEqual(['running', 'blocked', 'running', 'cancelled: stopped by user'])
    const text = (await page.textContent('#text'))!
    expect((THINKING + SKIPPED + ANSWER).startsWith(text)).toBe(true)
    expect(text.length).toBeLessThan((THINKING + SKIPPED + ANSWER).length)

    const task = await getTask(taskId)
    expect(task).toMatchObject({ status: 'cancelled', resolution: { approved: false } })
    expect(task).not.toHaveProperty('result')
    expect(await statusEvents(taskId)).toEqual([
      { status: 'running', previousStatus: 'pending' },
      { status: 'blocked', previousStatus: 'running', request: { type: 'approval', data: TOOL_CALL } },
      { status: 'running', previousStatus: 'blocked', resolution: { approved: false } },
      { status: 'cancelled', previousStatus: 'running', reason: 'stopped by user' },
    ])
    expect(errors).toEqual([])
    await page.close()
  })

  it('Stop while the question is open ends the wait: the agent exits 0 without calling the LLM', async () => {
    const agent = startAgent()
    const link = (await agent.waitForOutput(/^open (\S+)$/m))[1]!
    const taskId = new URL(link).searchParams.get('task')!
    const { page, errors } = await openPage()
    await page.goto(link)
    await page.waitForSelector('#question', { timeout: 20_000 })
    await page.click('#stop')

    expect(await agent.exit(), agent.describe()).toEqual({ code: 0, signal: null })
    expect(agent.stdout).toBe(agentOutput(taskId, WAITING, 'stopped: stopped by user'))
    await statusIs(page, 'done: cancelled')
    expect(await page.$('#question')).toBeNull()
    expect(await listedStatuses(page)).toEqual(['running', 'blocked', 'cancelled: stopped by user'])
    const task = await getTask(taskId)
    expect(task).toMatchObject({ status: 'cancelled' })
    expect(task).not.toHaveProperty('resolution')
    expect(task).not.toHaveProperty('blockedRequest')
    expect(errors).toEqual([])
    await page.close()
  })

  it('Stop while the agent is still thinking ends its loop: no question, no LLM call, exit 0', async () => {
    // 13 words 300 ms apart: Stop lands between two of them.
    const agent = startAgent(300)
    const link = (await agent.waitForOutput(/^open (\S+)$/m))[1]!
    const taskId = new URL(link).searchParams.get('task')!
    const { page, errors } = await openPage()
    await page.goto(link)
    await page.waitForFunction(() => document.getElementById('text')?.textContent !== '', null, { timeout: 20_000 })
    await page.click('#stop')

    expect(await agent.exit(), agent.describe()).toEqual({ code: 0, signal: null })
    expect(agent.stdout).toBe(agentOutput(taskId, 'stopped: stopped by user'))
    await statusIs(page, 'done: cancelled')
    expect(await listedStatuses(page)).toEqual(['running', 'cancelled: stopped by user'])
    const text = (await page.textContent('#text'))!
    expect(THINKING.startsWith(text) && text.length < THINKING.length, text).toBe(true)
    expect(errors).toEqual([])
    await page.close()
  })
})

describe('examples/agent-approval shutdown', () => {
  it('the server exits 0 on SIGTERM, having logged no error (closed tabs and aborted calls are not errors)', async () => {
    expect(await server.stop()).toEqual({ code: 0, signal: null })
    expect(server.stderr).toBe('')
  })
})
