// The scale-out webhook scenario (SPEC §10): two real taskcast processes, A and B, on shared
// stores; a per-task webhook with a filter and a global one; a loopback receiver that answers in
// 5 ms; 2,000 events published alternately through A and B (but for a stretch through A alone,
// which hands it both delivery leases), with the processes stopped mid-stream: A alone (SIGKILL, publishing goes on through B), or both (SIGKILL or graceful),
// then started again on the same stores and key prefix, publishing going on through the new
// pair. Each webhook must get every event it selects at least once, exactly once after dedup by
// X-Taskcast-Delivery, in index order, with filteredIndex 0…n−1 under its filter.
//
// The stores come in as a config (`sharedConfig(…)` of cluster.ts), so that the same scenario
// runs on one Redis or, with another config, on a Redis Cluster.
import { matchesFilter, type EventFilter, type TaskEvent } from '@taskcast/core'
import { expect } from 'vitest'
import { history, sdk } from './publisher.js'
import { printSummary } from './sequence.js'
import { TaskcastServer, type Exit, type TaskcastConfig } from './taskcast-process.js'
import { checkDeliveries, leaseHolders, WebhookReceiver, type Delivery, type DeliveryReport } from './webhook-receiver.js'

const EVENTS = 2000
const STOP_AT = EVENTS / 2
const SEQ = 'e2e.seq'
const NOISE = 'e2e.noise'
/** The per-task webhook's filter: the sequence events and the status events, not the noise. */
export const TASK_FILTER: EventFilter = { types: [SEQ] }

/** How a process is stopped: SIGKILL (a crash) or SIGTERM (a graceful shutdown). */
export type StopHow = 'kill' | 'stop'

export type Interruption =
  /** A is SIGKILLed while it holds both leases; B alone publishes the rest and takes them over. */
  | { stopped: 'A' }
  /** A (holding both leases) and B are stopped at once, then both started again. */
  | { stopped: 'both'; a: StopHow; b: StopHow }

export interface WebhookScenarioOptions {
  /** The stores A and B share, with their key prefix: a config from `sharedConfig`. */
  stores: TaskcastConfig
  interruption: Interruption
  /**
   * The pids holding a lease of the task's deliveries now.
   * @defaultValue read from the short-term Redis (or Redis Cluster) of `stores`
   */
  leaseHolders?: (taskId: string) => Promise<number[]>
}

export interface WebhookScenarioResult {
  global: DeliveryReport
  perTask: DeliveryReport
  /** Where things stood when the processes were stopped. */
  stoppedAt: { published: number; global: number; perTask: number; leasesHeldByA: number }
  /** The longest time each webhook went without a delivery from the stop on. */
  pauseMs: { global: number; perTask: number }
}

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

function stop(server: TaskcastServer, how: StopHow): Promise<Exit> {
  return how === 'kill' ? server.kill() : server.stop()
}

function describeInterruption(interruption: Interruption): string {
  return interruption.stopped === 'A'
    ? 'SIGKILL A while delivering'
    : `restart A (${interruption.a === 'kill' ? 'SIGKILL' : 'graceful'}) and B (${interruption.b === 'kill' ? 'SIGKILL' : 'graceful'}) while delivering`
}

/** Runs the scenario, asserts its guarantees, and returns what it measured. */
export async function runWebhookScenario(options: WebhookScenarioOptions): Promise<WebhookScenarioResult> {
  const { stores, interruption } = options
  const shortTerm = stores.adapters.shortTerm
  const holdersOf = options.leaseHolders ?? ((taskId: string) => leaseHolders(shortTerm.keyPrefix, taskId, shortTerm))
  const receiver = await WebhookReceiver.start(5)
  const config = {
    ...stores,
    // The per-task webhook targets the loopback receiver too.
    webhook: { endpoints: [{ url: `${receiver.url}/global` }], allowPrivateNetworks: true },
  } as TaskcastConfig
  let [a, b] = await Promise.all([TaskcastServer.start('A', config), TaskcastServer.start('B', config)])
  try {
    const task = await sdk(a.url).createTask({
      type: 'e2e.webhooks',
      webhooks: [{ url: `${receiver.url}/task`, filter: TASK_FILTER }],
    })
    await sdk(a.url).transitionTask(task.id, 'running')
    const event = (n: number) => ({ type: n % 3 === 2 ? NOISE : SEQ, data: { n } })
    const publish = (through: TaskcastServer, n: number, count = 1) =>
      sdk(through.url).publishEvents(task.id, Array.from({ length: count }, (_, i) => event(n + i)))
    // Alternately through A and B. Whichever process catches up lets its leases go and the next
    // publisher takes them, so they change hands many times. Then a pause lets every delivery
    // catch up, and the last stretch before the stop goes through A alone, in batches faster than
    // the receiver answers: A takes both leases and is still well behind when it is stopped
    // (whatever the machine's load does to the pace of single publishes).
    const HANDOVER = STOP_AT - 300
    const BATCH = 25
    for (let n = 0; n < HANDOVER; n++) await publish(n % 2 === 0 ? a : b, n)
    const [lastGlobal] = (await history(b.url, task.id)).slice(-1)
    await receiver.waitFor('/global', lastGlobal!.id, 60_000)
    await until(async () => (await holdersOf(task.id)).length === 0, 'every delivery caught up')
    for (let n = HANDOVER; n < STOP_AT; n += BATCH) await publish(a, n, Math.min(BATCH, STOP_AT - n))
    const holders = await holdersOf(task.id)
    const stopTime = Date.now()
    const leasesHeldByA = holders.filter((pid) => pid === a.pid).length
    const stoppedAt = () => ({
      published: STOP_AT,
      global: receiver.of('/global').length,
      perTask: receiver.of('/task').length,
      leasesHeldByA,
    })

    let exits: Exit[]
    let stopped: WebhookScenarioResult['stoppedAt']
    if (interruption.stopped === 'A') {
      exits = [await a.kill()]
      stopped = stoppedAt()
      // Publishing goes on through B alone.
      for (let n = STOP_AT; n < EVENTS; n++) await publish(b, n)
    } else {
      exits = await Promise.all([stop(a, interruption.a), stop(b, interruption.b)])
      stopped = stoppedAt()
      // The same stores and key prefix: the new processes go on from the stored cursors.
      ;[a, b] = await Promise.all([TaskcastServer.start('A2', config), TaskcastServer.start('B2', config)])
      for (let n = STOP_AT; n < EVENTS; n++) await publish(n % 2 === 0 ? a : b, n)
    }
    await sdk(b.url).transitionTask(task.id, 'completed')
    const hows = interruption.stopped === 'A' ? ['kill' as const] : [interruption.a, interruption.b]
    exits.forEach((exit, i) => expect(exit).toEqual(hows[i] === 'kill' ? { code: null, signal: 'SIGKILL' } : { code: 0, signal: null }))

    const log: TaskEvent[] = await history(b.url, task.id)
    expect(log).toHaveLength(EVENTS + 2)
    const last = log.at(-1)!
    await Promise.all([receiver.waitFor('/global', last.id, 90_000), receiver.waitFor('/task', last.id, 90_000)])

    // How long each webhook went without a delivery around the stop: about the lease (10 s) plus
    // a sweep after a SIGKILL of the holder, a restart's time after a graceful stop.
    const pause = (path: string) => longestPause(receiver.of(path).filter((delivery) => delivery.at >= stopTime - 1000))
    const result: WebhookScenarioResult = {
      global: checkDeliveries(receiver.of('/global'), log.map((event) => event.id)),
      perTask: checkDeliveries(
        receiver.of('/task'),
        log.filter((event) => matchesFilter(TASK_FILTER, event)).map((event) => event.id),
      ),
      stoppedAt: stopped,
      pauseMs: { global: pause('/global'), perTask: pause('/task') },
    }
    printSummary({ scenario: `webhooks: ${describeInterruption(interruption)}`, events: log.length, ...result })
    for (const report of [result.global, result.perTask]) {
      expect(report).toMatchObject({
        lost: 0,
        duplicatedAfterDedup: 0,
        outOfOrder: 0,
        wrongFilteredIndex: 0,
        inconsistentRepeats: 0,
        unexpected: 0,
      })
    }
    expect(result.perTask.expected).toBe(log.filter((event) => event.type !== NOISE).length)
    // The scenario is the takeover of a stopped owner's deliveries: A held both when it stopped.
    expect(result.stoppedAt.leasesHeldByA).toBe(2)
    return result
  } finally {
    await Promise.all([a.kill(), b.kill()])
    await receiver.close()
  }
}
