// Records what a subscription delivers, with promises to await progress instead of sleeping.
import type { TaskcastError, TaskStatus, TerminalStatus } from '@taskcast/core'
import type { SubscribeOptions, TaskcastClient, TaskEnvelope, TaskSubscription } from '../../src/index.js'

export interface Recording {
  events: TaskEnvelope[]
  statuses: TaskStatus[]
  /** Settles with how the subscription ended: `onDone` or `onError`. */
  ended: Promise<{ done?: TerminalStatus; error?: TaskcastError }>
  /** Resolves once at least `count` events arrived. */
  received(count: number): Promise<void>
  subscription: TaskSubscription
}

type Passed = Omit<SubscribeOptions, 'onEvent' | 'onStatus' | 'onDone' | 'onError'>

export function record(client: TaskcastClient, taskId: string, options: Passed = {}): Recording {
  const events: TaskEnvelope[] = []
  const statuses: TaskStatus[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  let finish!: (outcome: { done?: TerminalStatus; error?: TaskcastError }) => void
  const ended = new Promise<{ done?: TerminalStatus; error?: TaskcastError }>((resolve) => (finish = resolve))
  const subscription = client.subscribe(taskId, {
    ...options,
    onEvent: (envelope) => {
      events.push(envelope)
      for (const waiter of [...waiters]) {
        if (events.length < waiter.count) continue
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    },
    onStatus: (status) => statuses.push(status),
    onDone: (done) => finish({ done }),
    onError: (error) => finish({ error }),
  })
  return {
    events,
    statuses,
    ended,
    subscription,
    received: (count) =>
      events.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
  }
}

/** `count` delta events of one accumulate series, `d0;d1;…`, numbered from `from`. */
export function deltas(count: number, from = 0, seriesId = 'out') {
  return Array.from({ length: count }, (_, i) => ({
    type: 'llm.delta',
    data: { text: `d${from + i};` },
    seriesId,
    seriesMode: 'accumulate' as const,
  }))
}
