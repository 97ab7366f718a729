// Webhook deliveries by outcome, against a real loopback receiver.
import type { WebhookConfig } from '@taskcast/core'
import { describe, expect, it } from 'vitest'
import { waitFor } from '../harness.js'
import { startReceiver, type Responder } from '../webhooks/receiver.js'
import { call, onCleanup, runningTask, scrape, start, value } from './metrics-harness.js'

const OUTCOMES = 'taskcast_webhook_deliveries_total'

async function outcomes(url: string): Promise<Record<string, number>> {
  const families = await scrape(url)
  return Object.fromEntries(['delivered', 'retried', 'failed'].map((outcome) => [outcome, value(families, OUTCOMES, { outcome })]))
}

/** An app whose one global webhook takes the `x` events, with `retries` retries and no wait between them. */
async function withWebhook(reply: Responder, retries: number) {
  const receiver = await startReceiver(reply)
  onCleanup(() => receiver.close())
  const endpoint: WebhookConfig = {
    url: `${receiver.url}/hook`,
    filter: { types: ['x'], includeStatus: false },
    retry: { retries, backoff: 'fixed', initialDelayMs: 0 },
  }
  const { url } = await start({ webhooks: { endpoints: [endpoint] } })
  return { url, receiver }
}

describe('webhook metrics', () => {
  it('counts deliveries and the retries before them', async () => {
    // The first attempt fails; its retry and everything after it succeed.
    const { url, receiver } = await withWebhook((_request, n) => (n === 1 ? 500 : 200), 3)
    expect(await outcomes(url)).toEqual({ delivered: 0, retried: 0, failed: 0 })
    const task = await runningTask(url)
    await call(`${url}/tasks/${task.id}/events`, 'POST', [{ type: 'x', data: 1 }, { type: 'y' }, { type: 'x', data: 2 }])
    await receiver.waitFor(3)
    await waitFor(async () => (await outcomes(url)).delivered === 2, 'two deliveries')
    expect(await outcomes(url)).toEqual({ delivered: 2, retried: 1, failed: 0 })
    expect(receiver.requests.map((r) => r.json && (r.json as { data: unknown }).data)).toEqual([1, 1, 2])
  })

  it('counts a delivery that exhausts its retries as failed', async () => {
    const { url, receiver } = await withWebhook(() => 503, 2)
    const task = await runningTask(url)
    await call(`${url}/tasks/${task.id}/events`, 'POST', { type: 'x' })
    await receiver.waitFor(3)
    await waitFor(async () => (await outcomes(url)).failed === 1, 'the failure')
    expect(await outcomes(url)).toEqual({ delivered: 0, retried: 2, failed: 1 })
  })
})
