// examples/webhook-receiver, run as its README says: a standalone `taskcast` with a global
// webhook pointing at `node receiver.mjs`. The receiver checks every signature, drops duplicate
// deliveries and prints each event once, in order; docs/webhooks.md shows its verification code.
import { createHmac } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES_DIR, ExampleProcess, startTaskcast } from './support/example-process.js'
import { REPO_DIR } from './support/paths.js'

const DIR = join(EXAMPLES_DIR, 'webhook-receiver')
const SECRET = 'e2e-webhook-secret'

let receiver: ExampleProcess
let receiverUrl = ''
let taskcastUrl = ''

beforeAll(async () => {
  receiver = ExampleProcess.start({ name: 'receiver', cwd: DIR, args: ['receiver.mjs'], env: { PORT: '0', WEBHOOK_SECRET: SECRET } })
  receiverUrl = await receiver.listening()
  taskcastUrl = (
    await startTaskcast({
      // Global webhooks come from the operator's config and may target loopback.
      webhook: { endpoints: [{ url: receiverUrl, secret: SECRET, retry: { retries: 2, initialDelayMs: 100 } }] },
    })
  ).url
})

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${taskcastUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  expect(response.ok).toBe(true)
  return response.json()
}

function lines(output: string): string[] {
  return output.split('\n').filter((line) => line !== '' && !line.startsWith('listening on '))
}

describe('examples/webhook-receiver', () => {
  it('receives every event of a task once, signed and in order', async () => {
    const task = await call('POST', '/tasks', { type: 'report' })
    await call('PATCH', `/tasks/${task.id}/status`, { status: 'running' })
    await call('POST', `/tasks/${task.id}/events`, [
      { type: 'report.progress', data: { percent: 50 } },
      { type: 'report.progress', data: { percent: 100 } },
    ])
    await call('PATCH', `/tasks/${task.id}/status`, { status: 'completed', result: { pages: 3 } })

    await receiver.waitForOutput(new RegExp(`${task.id} #3 taskcast:status completed\\n`))
    expect(lines(receiver.stdout)).toEqual([
      `${task.id} #0 taskcast:status running`,
      `${task.id} #1 report.progress {"percent":50}`,
      `${task.id} #2 report.progress {"percent":100}`,
      `${task.id} #3 taskcast:status completed`,
    ])
  })

  it('refuses a delivery whose signature does not match with 401', async () => {
    const body = JSON.stringify({ taskId: 'forged', filteredIndex: 0, data: {} })
    const response = await fetch(receiverUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-taskcast-event': 'llm.delta',
        'x-taskcast-delivery': 'forged-1',
        'x-taskcast-signature': `sha256=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}`,
      },
      body,
    })
    expect(response.status).toBe(401)
    await receiver.waitForOutput(/^rejected: bad signature$/m)
  })

  it('handles a retried delivery (same X-Taskcast-Delivery) once', async () => {
    const body = JSON.stringify({ taskId: 'retried', filteredIndex: 7, type: 'llm.delta', data: { text: 'once' } })
    const send = () =>
      fetch(receiverUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-taskcast-event': 'llm.delta',
          'x-taskcast-delivery': '01RETRIEDDELIVERY',
          'x-taskcast-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
        },
        body,
      })
    expect((await send()).status).toBe(204)
    expect((await send()).status).toBe(204)
    await receiver.waitForOutput(/^retried #7 llm\.delta \{"text":"once"\}$/m)
    expect(lines(receiver.stdout).filter((line) => line.startsWith('retried '))).toEqual(['retried #7 llm.delta {"text":"once"}'])
  })

  it('is the verification code that docs/webhooks.md shows', async () => {
    const code = (await readFile(join(DIR, 'verify-signature.mjs'), 'utf8')).trim()
    const docs = await readFile(join(REPO_DIR, 'docs', 'webhooks.md'), 'utf8')
    expect(docs).toContain(code)
  })
})
