// Scale-out (webhooks): delivery is a reader of the task's log, owned by one process at a time.
// Two processes on Redis, a per-task webhook with a filter and a global one, a loopback
// receiver that answers in 5 ms: 2,000 events published alternately through A and B, then A
// is SIGKILLed mid-stream and publishing goes on through B. Each webhook gets every event it
// selects at least once (exactly once after dedup by X-Taskcast-Delivery), in index order,
// with filteredIndex 0…n−1 under its filter.
import { matchesFilter, type EventFilter, type TaskEvent } from '@taskcast/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedConfig } from './support/cluster.js'
import { history, sdk } from './support/publisher.js'
import { printSummary } from './support/sequence.js'
import { deleteKeysUnder, keyPrefixFor, REDIS_URL, servicesAvailable } from './support/services.js'
import { TaskcastServer, type TaskcastConfig } from './support/taskcast-process.js'
import { checkDeliveries, leaseHolders, WebhookReceiver, type Delivery } from './support/webhook-receiver.js'

const EVENTS = 2000
const KILL_AT = EVENTS / 2
const SEQ = 'e2e.seq'
const NOISE = 'e2e.noise'
/** The per-task webhook's filter: the sequence events and the status events, not the noise. */
const TASK_FILTER: EventFilter = { types: [SEQ] }

/** The longest time between two consecutive deliveries. */
function longestPause(deliveries: readonly Delivery[]): number {
  let longest = 0
  for (let i = 1; i < deliveries.length; i++) longest = Math.max(longest, deliveries[i]!.at - deliveries[i - 1]!.at)
  return longest
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

if (await servicesAvailable('scale-out: webhooks across processes', ['redis'])) {
  describe('webhooks across processes', () => {
    const keyPrefix = keyPrefixFor('webhooks')
    let receiver: WebhookReceiver
    let a: TaskcastServer
    let b: TaskcastServer

    beforeAll(async () => {
      receiver = await WebhookReceiver.start(5)
      const config = {
        ...sharedConfig({ redisUrl: REDIS_URL, keyPrefix }),
        // The per-task webhook targets the loopback receiver too.
        webhook: { endpoints: [{ url: `${receiver.url}/global` }], allowPrivateNetworks: true },
      } as TaskcastConfig
      ;[a, b] = await Promise.all([TaskcastServer.start('A', config), TaskcastServer.start('B', config)])
    })
    afterAll(async () => {
      await Promise.all([a?.kill(), b?.stop()])
      await receiver?.close()
      await deleteKeysUnder(keyPrefix)
    })

    it('delivers every event once after dedup, in order, with filteredIndex under each filter, through a SIGKILL', async () => {
      const task = await sdk(a.url).createTask({
        type: 'e2e.webhooks',
        webhooks: [{ url: `${receiver.url}/task`, filter: TASK_FILTER }],
      })
      await sdk(a.url).transitionTask(task.id, 'running')
      const publish = (through: TaskcastServer, n: number) =>
        sdk(through.url).publishEvents(task.id, [{ type: n % 3 === 2 ? NOISE : SEQ, data: { n } }])
      // Alternately through A and B. Whichever process catches up lets its leases go and the next
      // publisher takes them, so they change hands many times; a pause before the last stretch
      // hands them to A for sure, and the receiver (slower than the publisher) keeps A behind.
      const HANDOVER = KILL_AT - 300
      for (let n = 0; n < HANDOVER; n++) await publish(n % 2 === 0 ? a : b, n)
      const [lastGlobal] = (await history(b.url, task.id)).slice(-1)
      await receiver.waitFor('/global', lastGlobal!.id, 60_000)
      await until(async () => (await leaseHolders(keyPrefix, task.id)).length === 0, 'every delivery caught up')
      for (let n = HANDOVER; n < KILL_AT; n++) await publish(n % 2 === HANDOVER % 2 ? a : b, n)
      const holders = await leaseHolders(keyPrefix, task.id)
      const killTime = Date.now()
      await a.kill()
      const killedAt = {
        published: KILL_AT,
        global: receiver.of('/global').length,
        perTask: receiver.of('/task').length,
        leasesHeldByA: holders.filter((pid) => pid === a.pid).length,
      }
      // Publishing goes on through B alone.
      for (let n = KILL_AT; n < EVENTS; n++) await publish(b, n)
      await sdk(b.url).transitionTask(task.id, 'completed')
      expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' })

      const log: TaskEvent[] = await history(b.url, task.id)
      expect(log).toHaveLength(EVENTS + 2)
      const last = log.at(-1)!
      await Promise.all([receiver.waitFor('/global', last.id, 90_000), receiver.waitFor('/task', last.id, 90_000)])

      const global = checkDeliveries(receiver.of('/global'), log.map((event) => event.id))
      const perTask = checkDeliveries(
        receiver.of('/task'),
        log.filter((event) => matchesFilter(TASK_FILTER, event)).map((event) => event.id),
      )
      // How long each webhook went without a delivery around the kill: about the lease (10 s) plus a sweep.
      const takeoverMs = (path: string) => longestPause(receiver.of(path).filter((delivery) => delivery.at >= killTime - 1000))
      printSummary({
        scenario: 'webhooks: SIGKILL A while delivering',
        events: log.length,
        killedAt,
        takeoverMs: { global: takeoverMs('/global'), perTask: takeoverMs('/task') },
        global,
        perTask,
      })
      for (const report of [global, perTask]) {
        expect(report).toMatchObject({
          lost: 0,
          duplicatedAfterDedup: 0,
          outOfOrder: 0,
          wrongFilteredIndex: 0,
          inconsistentRepeats: 0,
          unexpected: 0,
        })
      }
      expect(perTask.expected).toBe(log.filter((event) => event.type !== NOISE).length)
      // The scenario is the takeover of a killed owner's deliveries: A held both when it died.
      expect(killedAt.leasesHeldByA).toBe(2)
    })
  })
}
