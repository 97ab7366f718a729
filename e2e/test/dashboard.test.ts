// The standalone server's dashboard (`GET /dashboard`, SPEC §21) in a real Chromium, against
// the built CLI: tasks created through the API appear without a reload, a task's 200 deltas
// add up to its exact text, a blocked task is answered from its form, Cancel cancels, the
// filters hide and show rows, Load more pages; the page is usable by keyboard and at 390 px,
// and loads nothing from elsewhere. With JWT auth it asks for a token and refuses a wrong one.
// Screenshots at 390 and 1440 px go to e2e/artifacts/; TASKCAST_UPDATE_SCREENSHOTS=1 also
// rewrites docs/dashboard.png.
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserTestsEnabled, launchChromium } from './support/chromium.js'
import { startTaskcast } from './support/example-process.js'
import { REPO_DIR } from './support/paths.js'
import { TcpProxy } from './support/tcp-proxy.js'

const ARTIFACTS = join(REPO_DIR, 'e2e', 'artifacts')
const DOCS_SCREENSHOT = join(REPO_DIR, 'docs', 'dashboard.png')
const WAIT = { timeout: 20_000 }

const STORY =
  'The lighthouse keeper wrote one line in the log each night: the wind, the ships, the lamp. ' +
  'On the last night of the year no ship came, and the wind was still, so she wrote about the lamp ' +
  'itself, how it turned for no one and kept its pace, and how that seemed to her the whole of the job.'
/** The story as 200 deltas, the way a model streams it: short pieces, cut anywhere. */
const DELTAS = Array.from({ length: 200 }, (_, i) => STORY.slice(Math.floor((i * STORY.length) / 200), Math.floor(((i + 1) * STORY.length) / 200)))

interface Task {
  id: string
  status: string
  [field: string]: unknown
}

/** The API as a producer uses it; a refusal fails the test with the server's answer. */
function apiOf(url: string, token?: string) {
  return async <T = Task>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`)
    return (text === '' ? null : JSON.parse(text)) as T
  }
}

/** What the page did: its errors, its requests, and those to anywhere but its server. */
interface Watched {
  page: Page
  errors: string[]
  requests: string[]
  foreign: string[]
}

const rowIds = (page: Page): Promise<string[]> => page.$$eval('.task-row', (rows) => rows.map((row) => (row as HTMLElement).dataset.taskId!))

function waitForRows(page: Page, ids: string[]): Promise<unknown> {
  return page.waitForFunction(
    (expected) => JSON.stringify([...document.querySelectorAll<HTMLElement>('.task-row')].map((row) => row.dataset.taskId)) === expected,
    JSON.stringify(ids),
    WAIT,
  )
}

function waitForText(page: Page, selector: string, text: string): Promise<unknown> {
  return page.waitForFunction(([where, expected]) => document.querySelector(where!)?.textContent === expected, [selector, text], WAIT)
}

const rowStatus = (id: string) => `[data-task-id="${id}"] .chip`
const VIEW_STATUS = '.task-state .chip'

/** Every text on the page whose contrast with what is behind it is under 4.5:1, measured as drawn. */
function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgba = (color: string): number[] => (color.match(/[\d.]+/g) ?? []).map(Number)
    const luminance = ([r, g, b]: number[]): number => {
      const linear = (v: number): number => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
      return 0.2126 * linear(r!) + 0.7152 * linear(g!) + 0.0722 * linear(b!)
    }
    const backdrop = (element: Element | null): number[] => {
      for (let at = element; at; at = at.parentElement) {
        const color = rgba(getComputedStyle(at).backgroundColor)
        if ((color[3] ?? 1) > 0) return color
      }
      return [255, 255, 255]
    }
    const failures: string[] = []
    for (const element of document.querySelectorAll('body *')) {
      const text = [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent!.trim() !== '')
      const box = element.getBoundingClientRect()
      // Disabled controls are exempt (WCAG 1.4.3), and so is what is not drawn.
      if (!text || box.width === 0 || element.closest(':disabled')) continue
      const [light, dark] = [luminance(rgba(getComputedStyle(element).color)), luminance(backdrop(element))].sort((a, b) => b - a)
      const ratio = (light! + 0.05) / (dark! + 0.05)
      if (ratio < 4.5) failures.push(`${element.tagName.toLowerCase()}.${element.className} "${element.textContent!.slice(0, 24)}" ${ratio.toFixed(2)}`)
    }
    return failures
  })
}

describe.runIf(browserTestsEnabled('the dashboard'))('the dashboard in Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await launchChromium()
    await mkdir(ARTIFACTS, { recursive: true })
  })

  afterAll(async () => {
    await browser?.close()
  })

  async function open(url: string, width: number, hash = ''): Promise<Watched> {
    const page = await browser.newPage({ viewport: { width, height: 900 } })
    const watched: Watched = { page, errors: [], requests: [], foreign: [] }
    page.on('pageerror', (error) => watched.errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') watched.errors.push(message.text())
    })
    page.on('request', (request) => {
      watched.requests.push(request.url())
      if (!request.url().startsWith(`${url}/`)) watched.foreign.push(request.url())
    })
    await page.goto(`${url}/dashboard${hash}`)
    return watched
  }

  describe('with auth none', () => {
    let url = ''
    let api: ReturnType<typeof apiOf>
    let watched: Watched
    let page: Page
    let chat: Task
    let deploy: Task
    let report: Task
    let other: Task
    let summary: Task

    beforeAll(async () => {
      url = (await startTaskcast()).url
      api = apiOf(url)
      watched = await open(url, 1440)
      page = watched.page
      await page.waitForSelector('.link-status[data-link="live"]', WAIT)
    })

    afterAll(async () => {
      await page?.close()
    })

    it('lists the tasks created through the API as they come, newest first, with a count per status', async () => {
      expect(await page.textContent('.counts-total')).toBe('0 tasks listed')
      chat = await api('POST', '/tasks', { type: 'llm.chat', params: { prompt: 'Tell me about a lighthouse' } })
      deploy = await api('POST', '/tasks', { type: 'agent.deploy', metadata: { user: 'ada' } })
      report = await api('POST', '/tasks', { type: 'tool.report' })
      await waitForRows(page, [report.id, deploy.id, chat.id])
      expect(await page.textContent('.counts-total')).toBe('3 tasks listed')
      expect(await page.textContent('[data-count="pending"] .count')).toBe('3')

      await api('PATCH', `/tasks/${deploy.id}/status`, { status: 'running' })
      await waitForText(page, rowStatus(deploy.id), 'running')
      expect(await page.$$eval('.counts-list li', (items) => items.map((item) => item.textContent))).toEqual(['pending 2', 'running 1'])
      expect(await page.getAttribute('.link-status', 'aria-live')).toBe('polite')
    })

    it("streams a task's 200 accumulate deltas into its view: exactly the whole text", async () => {
      await api('PATCH', `/tasks/${chat.id}/status`, { status: 'running' })
      await page.click(`[data-task-id="${chat.id}"]`)
      await waitForText(page, '#task-heading', 'llm.chat')
      expect(await page.evaluate(() => location.hash)).toBe(`#/tasks/${chat.id}`)
      await waitForText(page, VIEW_STATUS, 'running')
      for (const text of DELTAS) {
        await api('POST', `/tasks/${chat.id}/events`, { type: 'llm.delta', data: { text }, seriesId: 'response', seriesMode: 'accumulate' })
      }
      await waitForText(page, '[data-series="response"]', STORY)
      await waitForText(page, '#events-heading', 'Events (201)')
      expect(await page.textContent('[data-fact="params"] pre')).toBe(JSON.stringify({ prompt: 'Tell me about a lighthouse' }, null, 2))
    })

    it("shows a blocked task's request; Approve answers it, and the task runs again on the page and in the API", async () => {
      await api('PATCH', `/tasks/${deploy.id}/status`, {
        status: 'blocked',
        request: { type: 'approval', data: { tool: 'deploy', env: 'prod' } },
      })
      await waitForText(page, rowStatus(deploy.id), 'blocked')
      expect(await page.textContent(`[data-task-id="${deploy.id}"] .task-asks`)).toBe('asks: approval')
      await page.click(`[data-task-id="${deploy.id}"]`)
      await page.waitForSelector('.request', WAIT)
      expect(await page.textContent('.request-type')).toBe('approval')
      expect(await page.textContent('.request .json')).toBe(JSON.stringify({ tool: 'deploy', env: 'prod' }, null, 2))

      await page.getByRole('button', { name: 'Approve' }).click()
      await waitForText(page, VIEW_STATUS, 'running')
      await waitForText(page, rowStatus(deploy.id), 'running')
      expect(await page.$('.request')).toBeNull()
      const task = await api('GET', `/tasks/${deploy.id}`)
      expect(task).toMatchObject({ status: 'running', resolution: { approved: true } })
      expect(task).not.toHaveProperty('blockedRequest')
    })

    it('answers any other request with the JSON typed in its form, and says so when it is not JSON', async () => {
      await api('PATCH', `/tasks/${report.id}/status`, { status: 'running' })
      await api('PATCH', `/tasks/${report.id}/status`, {
        status: 'blocked',
        request: { type: 'choice', data: { question: 'Which format?', options: ['pdf', 'html'] } },
      })
      await page.click(`[data-task-id="${report.id}"]`)
      await page.waitForSelector('.request', WAIT)
      expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0)

      await page.getByLabel('Answer (JSON)').fill('pdf')
      await page.getByRole('button', { name: 'Send answer' }).click()
      await page.waitForSelector('.request [role="alert"]', WAIT)
      expect(await page.textContent('.request [role="alert"]')).toMatch(/^The answer must be JSON \(for example \{"approved": true\} or "yes"\): /)
      expect((await api('GET', `/tasks/${report.id}`)).status).toBe('blocked')

      await page.getByLabel('Answer (JSON)').fill('{"format": "pdf"}')
      await page.getByRole('button', { name: 'Send answer' }).click()
      await waitForText(page, VIEW_STATUS, 'running')
      expect(await api('GET', `/tasks/${report.id}`)).toMatchObject({ status: 'running', resolution: { format: 'pdf' } })
    })

    it('Cancel, once confirmed, cancels a task that has not ended: on the page and in the API', async () => {
      await page.click(`[data-task-id="${chat.id}"]`)
      await waitForText(page, '#task-heading', 'llm.chat')
      await page.getByRole('button', { name: 'Cancel task' }).click()
      // The question takes the focus, on its safe answer.
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Keep it')
      await page.getByRole('button', { name: 'Yes, cancel it' }).click()
      await waitForText(page, VIEW_STATUS, 'cancelled')
      await waitForText(page, rowStatus(chat.id), 'cancelled')
      expect(await page.getByRole('button', { name: 'Cancel task' }).count()).toBe(0)
      expect((await api('GET', `/tasks/${chat.id}`)).status).toBe('cancelled')
      const history = await api<Array<{ type: string; data: unknown }>>('GET', `/tasks/${chat.id}/events/history`)
      expect(history.at(-1)).toMatchObject({
        type: 'taskcast:status',
        data: { status: 'cancelled', previousStatus: 'running', reason: 'cancelled from the dashboard' },
      })
      // The text stays with the task.
      expect(await page.textContent('[data-series="response"]')).toBe(STORY)
    })

    it('filters by several statuses and by type with wildcards, and keeps the filtered list live', async () => {
      const status = (name: string) => page.locator(`input[name="status"][value="${name}"]`)
      const streams = () => watched.requests.filter((request) => new URL(request).pathname === '/events').map((request) => new URL(request).search)
      expect(streams()).toEqual(['?types='])
      await status('running').check()
      await waitForRows(page, [report.id, deploy.id])
      expect(await page.textContent('.counts-total')).toBe('2 tasks listed')
      await status('cancelled').check()
      await waitForRows(page, [report.id, deploy.id, chat.id])
      await status('running').uncheck()
      await waitForRows(page, [chat.id])
      await status('cancelled').uncheck()
      await waitForRows(page, [report.id, deploy.id, chat.id])
      // Statuses are read again from GET /tasks; the stream of every task's status carries on.
      expect(streams()).toEqual(['?types='])

      await page.getByLabel('Type').fill('llm.*')
      await page.getByLabel('Type').press('Enter')
      await waitForRows(page, [chat.id])
      expect(streams()).toEqual(['?types=', `?${new URLSearchParams({ types: '', taskTypes: 'llm.*' })}`])
      // Announced first, the task of another type would be listed by the time the next one is.
      other = await api('POST', '/tasks', { type: 'tool.other' })
      summary = await api('POST', '/tasks', { type: 'llm.summary' })
      await waitForRows(page, [summary.id, chat.id])

      await page.getByLabel('Type').fill('agent.*, tool.*')
      await page.getByRole('button', { name: 'Apply' }).click()
      await waitForRows(page, [other.id, report.id, deploy.id])
      await page.getByRole('button', { name: 'Clear filters' }).click()
      await waitForRows(page, [summary.id, other.id, report.id, deploy.id, chat.id])

      // A task that leaves the statuses asked for leaves the list.
      await status('pending').check()
      await waitForRows(page, [summary.id, other.id])
      await api('PATCH', `/tasks/${other.id}/status`, { status: 'running' })
      await waitForRows(page, [summary.id])
      await status('pending').uncheck()
      await waitForRows(page, [summary.id, other.id, report.id, deploy.id, chat.id])
    })

    it('has a label for every field, buttons for every action, 4.5:1 contrast, and loads nothing from elsewhere', async () => {
      await page.click(`[data-task-id="${deploy.id}"]`)
      await waitForText(page, '#task-heading', 'agent.deploy')
      const unlabelled = await page.$$eval('input, textarea, select', (fields) =>
        fields.filter((field) => (field as HTMLInputElement).labels?.length === 0 && !field.getAttribute('aria-label')).map((field) => field.outerHTML),
      )
      expect(unlabelled).toEqual([])
      expect(await page.$$eval('[onclick], div[role="button"], span[role="button"]', (elements) => elements.length)).toBe(0)
      expect(await lowContrast(page)).toEqual([])
      expect(watched.foreign).toEqual([])
      expect(watched.errors).toEqual([])
    })

    it('at 390 px: the list, then the task on its own screen with a way back; Tab reaches a row, Enter opens it', async () => {
      const narrow = await open(url, 390)
      const small = narrow.page
      await waitForRows(small, await rowIds(page))
      expect(await small.isVisible('.task-pane')).toBe(false)
      // Tab from the top of the page to the first row; Enter opens it.
      const first = (await rowIds(small))[0]!
      for (let presses = 0; presses < 40; presses++) {
        await small.keyboard.press('Tab')
        if (await small.evaluate((id) => document.activeElement?.getAttribute('data-task-id') === id, first)) break
      }
      expect(await small.evaluate(() => document.activeElement?.getAttribute('data-task-id'))).toBe(first)
      await small.keyboard.press('Enter')
      await small.waitForSelector('.task-view', WAIT)
      expect(await small.evaluate(() => document.activeElement?.id)).toBe('task-heading')
      expect(await small.isVisible('.list-pane')).toBe(false)
      expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
      await small.getByRole('link', { name: '← All tasks' }).click()
      await small.waitForSelector('.list-pane', { ...WAIT, state: 'visible' })
      expect(narrow.errors).toEqual([])
      await small.close()
    })

    it('takes screenshots at 390 and 1440 px (docs/dashboard.png with TASKCAST_UPDATE_SCREENSHOTS=1)', async () => {
      // A few more tasks, as a real service would have them: finished, failed, and an agent asking.
      await api('PATCH', `/tasks/${summary.id}/status`, { status: 'running' })
      await api('PATCH', `/tasks/${summary.id}/status`, { status: 'completed', result: { words: 58 } })
      const fetchTask = await api('POST', '/tasks', { type: 'tool.fetch', params: { url: 'https://example.com/feed' } })
      await api('PATCH', `/tasks/${fetchTask.id}/status`, { status: 'running' })
      await api('PATCH', `/tasks/${fetchTask.id}/status`, { status: 'failed', error: { code: 'HTTP_503', message: 'the feed did not answer' } })
      const agent = await api('POST', '/tasks', { type: 'agent.cleanup', params: { path: '~/projects' }, metadata: { user: 'ada' } })
      await api('PATCH', `/tasks/${agent.id}/status`, { status: 'running' })
      const thinking = 'To free some space I will measure each folder under ~/projects, then delete node_modules where it is the largest part.'
      for (const text of thinking.match(/\S+\s*/g)!) {
        await api('POST', `/tasks/${agent.id}/events`, { type: 'llm.delta', data: { text }, seriesId: 'thinking', seriesMode: 'accumulate' })
      }
      await api('PATCH', `/tasks/${agent.id}/status`, {
        status: 'blocked',
        request: { type: 'approval', data: { tool: 'shell', command: 'rm -rf ~/projects/taskcast/node_modules' } },
      })
      await page.click(`[data-task-id="${agent.id}"]`)
      await waitForText(page, '[data-series="thinking"]', thinking)
      await page.waitForSelector('.request', WAIT)
      expect(await lowContrast(page)).toEqual([])
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-1440.png') })
      if (process.env.TASKCAST_UPDATE_SCREENSHOTS === '1') await copyFile(join(ARTIFACTS, 'dashboard-1440.png'), DOCS_SCREENSHOT)

      const narrow = await open(url, 390)
      await narrow.page.waitForSelector(`[data-task-id="${agent.id}"]`, WAIT)
      await narrow.page.screenshot({ path: join(ARTIFACTS, 'dashboard-390-list.png'), fullPage: true })
      await narrow.page.click(`[data-task-id="${agent.id}"]`)
      await waitForText(narrow.page, '[data-series="thinking"]', thinking)
      await narrow.page.screenshot({ path: join(ARTIFACTS, 'dashboard-390-task.png'), fullPage: true })
      expect(narrow.errors).toEqual([])
      await narrow.page.close()
    })

    it('reads the next page with Load more', async () => {
      const before = await rowIds(page)
      for (let i = 0; i < 50; i++) await api('POST', '/tasks', { type: 'batch.item', metadata: { i } })
      await page.reload()
      await page.waitForFunction(() => document.querySelectorAll('.task-row').length === 50, null, WAIT)
      expect(await page.textContent('.counts-total')).toBe('50 tasks listed')
      await page.getByRole('button', { name: 'Load more' }).click()
      await page.waitForFunction((count) => document.querySelectorAll('.task-row').length === count, 50 + before.length, WAIT)
      expect((await rowIds(page)).slice(50)).toEqual(before)
      expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0)
      expect(watched.errors).toEqual([])
    })
  })

  describe('over a link that drops', () => {
    it('says Reconnecting…, then Live again, with what changed meanwhile; the task view resumes without a repeat', async () => {
      const direct = (await startTaskcast()).url
      const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(direct).port) })
      const api = apiOf(direct)
      const delta = (text: string) => ({ type: 'llm.delta', data: { text }, seriesId: 'response', seriesMode: 'accumulate' })
      const task = await api('POST', '/tasks', { type: 'llm.chat' })
      await api('PATCH', `/tasks/${task.id}/status`, { status: 'running' })
      await api('POST', `/tasks/${task.id}/events`, delta('Once'))
      const { page } = await open(`http://127.0.0.1:${proxy.port}`, 1440, `#/tasks/${task.id}`)
      await page.waitForSelector('.link-status[data-link="live"]', WAIT)
      await waitForText(page, '[data-series="response"]', 'Once')

      proxy.down()
      await waitForText(page, '.link-status', 'Reconnecting…')
      // Published while the page has no connection: the list learns it from GET /tasks, the
      // task view from its stream, resumed after the last event it had.
      await api('POST', `/tasks/${task.id}/events`, [delta(' upon'), delta(' a time')])
      await api('PATCH', `/tasks/${task.id}/status`, { status: 'completed' })
      const later = await api('POST', '/tasks', { type: 'tool.run' })
      proxy.up()

      await waitForText(page, '.link-status', 'Live')
      await waitForRows(page, [later.id, task.id])
      await waitForText(page, rowStatus(task.id), 'completed')
      await waitForText(page, VIEW_STATUS, 'completed')
      expect(await page.textContent('[data-series="response"]')).toBe('Once upon a time')
      expect(await page.textContent('#events-heading')).toBe('Events (5)')
      await page.close()
      await proxy.close()
    })
  })

  describe('with JWT auth', () => {
    const SECRET = 'dashboard-e2e-secret-of-at-least-32-bytes'
    const sign = (secret: string) =>
      new SignJWT({ taskIds: '*', scope: ['*'] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(secret))
    let url = ''

    beforeAll(async () => {
      url = (await startTaskcast({ auth: { mode: 'jwt', jwt: { secret: SECRET } } })).url
    })

    it('asks for a token; a wrong one is refused with the reason; a right one opens the list, kept in this tab only', async () => {
      const token = await sign(SECRET)
      const api = apiOf(url, token)
      const first = await api('POST', '/tasks', { type: 'llm.chat' })
      const { page, foreign } = await open(url, 1440)
      await page.waitForSelector('#token', WAIT)
      expect(await page.textContent('#token-heading')).toBe('This server needs a token')
      expect(await lowContrast(page)).toEqual([])

      await page.getByLabel('Token', { exact: true }).fill(await sign('another-secret-of-at-least-32-bytes!!'))
      await page.getByRole('button', { name: 'Open the dashboard' }).click()
      await waitForText(page, '#token-problem', 'The server refused this token: invalid or expired token.')
      expect(await page.getAttribute('#token', 'aria-invalid')).toBe('true')

      await page.getByLabel('Token', { exact: true }).fill(`Bearer ${token}`)
      await page.getByRole('button', { name: 'Open the dashboard' }).click()
      await waitForRows(page, [first.id])
      await page.waitForSelector('.link-status[data-link="live"]', WAIT)
      expect(await page.evaluate(() => sessionStorage.getItem('taskcast.dashboard.token'))).toBe(token)
      // Live with the token, and answering with it.
      const second = await api('POST', '/tasks', { type: 'llm.chat' })
      await waitForRows(page, [second.id, first.id])
      await page.click(`[data-task-id="${second.id}"]`)
      await page.getByRole('button', { name: 'Cancel task' }).click()
      await page.getByRole('button', { name: 'Yes, cancel it' }).click()
      await waitForText(page, VIEW_STATUS, 'cancelled')

      // A reload keeps it (same tab); another tab has none.
      await page.reload()
      await waitForRows(page, [second.id, first.id])
      const other = await open(url, 1440)
      await other.page.waitForSelector('#token', WAIT)
      expect(foreign).toEqual([])
      await other.page.close()

      // Forgetting it brings the form back.
      await page.getByRole('button', { name: 'Forget token' }).click()
      await page.waitForSelector('#token', WAIT)
      expect(await page.evaluate(() => sessionStorage.getItem('taskcast.dashboard.token'))).toBeNull()
      await page.close()
    })
  })
})
