// Webhook receivers that fail (SPEC §10), with two real taskcast processes on Redis publishing
// in turn to a task with a filtered per-task webhook and a global one:
// - a receiver that answers 500 for 10 s: the deliveries are retried (short, fixed waits set in
//   the config and the task), then go on in order once it recovers; none is dropped, none
//   reported failed;
// - a receiver that never answers one delivery: its attempts are cut at `timeoutMs`, the retries
//   run out, the failure is reported (the CLI's `webhook delivery failed` warning, with the task
//   id and the webhook's host), and the next delivery goes out.
import { matchesFilter, type EventFilter, type RetryConfig, type TaskEvent } from '@taskcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { history, sdk } from './support/publisher.js'
import { printSummary } from './support/sequence.js'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL, servicesAvailable } from './support/services.js'
import { TaskcastServer, type TaskcastConfig } from './support/taskcast-process.js'
import { checkDeliveries, WebhookReceiver, type Answer, type Delivery } from './support/webhook-receiver.js'

const SEQ = 'e2e.seq'
const NOISE = 'e2e.noise'
const TASK_FILTER: EventFilter = { types: [SEQ] }
const PATHS = ['/global', '/task'] as const

/** The CLI's warning for a delivery given up (packages/cli/src/server.ts), in the text log format. */
const FAILED_LINE = /WARN\s+webhook delivery failed host=(\S+) taskId=(\S+)/g

interface Service {
  receiver: WebhookReceiver
  a: TaskcastServer
  b: TaskcastServer
  task: { id: string }
  /** Publishes event `n` through A (even) or B (odd): every third one is noise the per-task filter drops. */
  publish(n: number): Promise<unknown>
  /** The log and, per webhook, the ids it should get. */
  expected(): Promise<{ log: TaskEvent[]; ids: Record<(typeof PATHS)[number], string[]> }>
  /** The `webhook delivery failed` warnings A and B logged: [host, taskId]. */
  failureLines(): [string, string][]
}

/** No request reaches the receiver out of index order, retries included: nothing skips ahead. */
function attemptsInOrder(deliveries: readonly Delivery[]): boolean {
  return deliveries.every((delivery, i) => i === 0 || delivery.rawIndex >= deliveries[i - 1]!.rawIndex)
}

if (await servicesAvailable('webhooks: receiver outages', ['redis'])) {
  describe('webhook receivers that fail', () => {
    const cleanups: (() => Promise<unknown>)[] = []
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    })

    /** A receiver, A and B with `retry` for both webhooks, and a running task. */
    async function service(answer: (delivery: Delivery, path: string) => Answer, retry: RetryConfig): Promise<Service> {
      const keyPrefix = keyPrefixFor('webhook-outages')
      cleanups.push(() => deleteKeysUnder(keyPrefix))
      const receiver = await WebhookReceiver.start({ answerAfterMs: 2, answer })
      cleanups.push(() => receiver.close())
      const config = {
        ...sharedConfig({ redisUrl: REDIS_URL, keyPrefix }),
        // The global webhook's retry comes from the config's default; the per-task one's from the task.
        webhook: { endpoints: [{ url: `${receiver.url}/global` }], defaultRetry: retry, allowPrivateNetworks: true },
      } as TaskcastConfig
      const [a, b] = await Promise.all([TaskcastServer.start('A', config), TaskcastServer.start('B', config)])
      cleanups.push(() => Promise.all([a.stop(), b.stop()]))
      const task = await sdk(a.url).createTask({
        type: 'e2e.webhook-outage',
        webhooks: [{ url: `${receiver.url}/task`, filter: TASK_FILTER, retry }],
      })
      await sdk(a.url).transitionTask(task.id, 'running')
      return {
        receiver,
        a,
        b,
        task,
        publish: (n) => sdk((n % 2 === 0 ? a : b).url).publishEvents(task.id, [{ type: n % 3 === 2 ? NOISE : SEQ, data: { n } }]),
        async expected() {
          const log: TaskEvent[] = await history(a.url, task.id)
          return {
            log,
            ids: {
              '/global': log.map((event) => event.id),
              '/task': log.filter((event) => matchesFilter(TASK_FILTER, event)).map((event) => event.id),
            },
          }
        },
        failureLines: () => [...(a.log + b.log).matchAll(FAILED_LINE)].map((match) => [match[1]!, match[2]!]),
      }
    }

    it('a receiver answering 500 for 10 s: deliveries are retried, then go on in order once it recovers, none dropped', async () => {
      const OUTAGE_MS = 10_000
      let outageUntil = 0
      // Fixed 1.5 s waits, 10 retries (the most a per-task webhook may have): 15 s of patience, more than the outage.
      const retry: RetryConfig = { retries: 10, backoff: 'fixed', initialDelayMs: 1500, timeoutMs: 2000 }
      const s = await service(() => (Date.now() < outageUntil ? 500 : 200), retry)
      for (let n = 0; n < 10; n++) await s.publish(n)
      await s.receiver.waitFor('/global', (await history(s.a.url, s.task.id)).at(-1)!.id, 10_000, { accepted: true })
      outageUntil = Date.now() + OUTAGE_MS
      // Publishing goes on during the outage, never waiting for the webhooks.
      for (let n = 10; n < 40; n++) {
        await s.publish(n)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      await sdk(s.b.url).transitionTask(s.task.id, 'completed')
      const { log, ids } = await s.expected()
      const last = log.at(-1)!
      await Promise.all(PATHS.map((path) => s.receiver.waitFor(path, last.id, 40_000, { accepted: true })))

      const summary: Record<string, unknown> = { scenario: 'webhooks: receiver answers 500 for 10 s', events: log.length }
      for (const path of PATHS) {
        const all = s.receiver.of(path)
        const accepted = s.receiver.accepted(path)
        const report = checkDeliveries(accepted, ids[path])
        const refused = all.filter((delivery) => delivery.status === 500)
        const firstAfter = accepted.find((delivery) => delivery.at >= outageUntil)
        summary[path] = { ...report, refused: refused.length, resumedAfterMs: firstAfter ? firstAfter.at - outageUntil : null }
        // Every event it selects got through exactly once, in order, numbered under its filter.
        expect(report).toMatchObject({ lost: 0, rawDuplicates: 0, duplicatedAfterDedup: 0, outOfOrder: 0, wrongFilteredIndex: 0, unexpected: 0 })
        // The outage was real and was waited out: refused attempts, only of one event at a time.
        expect(refused.length).toBeGreaterThanOrEqual(5)
        expect(new Set(refused.map((delivery) => delivery.id)).size).toBe(1)
        expect(attemptsInOrder(all)).toBe(true)
      }
      printSummary(summary)
      // Nothing was given up.
      expect(s.failureLines()).toEqual([])
    })

    it('a receiver that never answers: the retries run out, the failure is logged with the task, and the next delivery goes out', async () => {
      const STUCK = 3
      const retry: RetryConfig = { retries: 1, backoff: 'fixed', initialDelayMs: 100, timeoutMs: 300 }
      const s = await service((delivery) => ((delivery.data as { n?: number } | null)?.n === STUCK ? 'hang' : 200), retry)
      for (let n = 0; n < 8; n++) await s.publish(n)
      await sdk(s.b.url).transitionTask(s.task.id, 'completed')
      const { log, ids } = await s.expected()
      const last = log.at(-1)!
      await Promise.all(PATHS.map((path) => s.receiver.waitFor(path, last.id, 20_000, { accepted: true })))

      const stuck = log.find((event) => (event.data as { n?: number } | null)?.n === STUCK)!
      for (const path of PATHS) {
        const all = s.receiver.of(path)
        // Two attempts (one retry), neither answered, and nothing else before they were both cut.
        const attempts = all.filter((delivery) => delivery.id === stuck.id)
        expect(attempts.map((delivery) => delivery.status)).toEqual([undefined, undefined])
        expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(300 + 100 - 20)
        expect(attemptsInOrder(all)).toBe(true)
        // Every other event got through, in order, the ones after the stuck one included.
        const others = ids[path].filter((id) => id !== stuck.id)
        expect(checkDeliveries(s.receiver.accepted(path), others)).toMatchObject({ lost: 0, duplicatedAfterDedup: 0, outOfOrder: 0 })
        expect(checkDeliveries(all, ids[path])).toMatchObject({ lost: 0, wrongFilteredIndex: 0, unexpected: 0 })
      }
      // Reported once per webhook: the CLI's warning names the task and the receiver's host.
      const host = new URL(s.receiver.url).host
      expect(s.failureLines()).toEqual([
        [host, s.task.id],
        [host, s.task.id],
      ])
      printSummary({
        scenario: 'webhooks: receiver never answers one delivery',
        events: log.length,
        attempts: Object.fromEntries(PATHS.map((path) => [path, s.receiver.of(path).length])),
        failureLines: s.failureLines().length,
      })
    })
  })
}
