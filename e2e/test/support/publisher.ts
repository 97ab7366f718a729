// The producer side: numbered events (`data.n` = 0, 1, 2, …) published through one or more
// servers with @taskcast/server-sdk, optionally riding out a store outage without ever
// storing an event twice.
import { TaskcastError, type TaskEvent } from '@taskcast/core'
import { TaskcastServerClient } from '@taskcast/server-sdk'

export const SEQ_TYPE = 'e2e.seq'

export interface PublishOptions {
  /** Base URLs to publish through, one batch each in turn. */
  servers: string[]
  taskId: string
  count: number
  /** @defaultValue 0 */
  from?: number
  /** Events per request. @defaultValue 1 */
  batchSize?: number
  /** Pause between requests, to spread the run over time. @defaultValue 0 */
  pauseMs?: number
  /** Called after each stored batch with how many events are stored so far; awaited. */
  afterBatch?: (published: number) => void | Promise<void>
  /**
   * Ride out `STORE_UNAVAILABLE` (503): wait, find out from the log whether the failed batch
   * was stored after all (a write cut off in flight may or may not have run), and publish it
   * again only if it was not. Without it, a 503 fails the run.
   */
  retryUnavailable?: boolean
}

export interface PublishReport {
  /** Events stored. */
  published: number
  /** 503 answers received (each one a write refused or cut off while a store was down). */
  unavailable: number
  /** Failed batches the log showed were stored anyway (not published again). */
  storedDespiteError: number
}

export function sdk(baseUrl: string): TaskcastServerClient {
  return new TaskcastServerClient({ baseUrl, retry: { retries: 0 } })
}

export async function publishNumbered(options: PublishOptions): Promise<PublishReport> {
  const clients = options.servers.map(sdk)
  const batchSize = options.batchSize ?? 1
  const first = options.from ?? 0
  const end = first + options.count
  const report: PublishReport = { published: 0, unavailable: 0, storedDespiteError: 0 }
  let turn = 0
  for (let n = first; n < end; n += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, end - n) }, (_, i) => ({ type: SEQ_TYPE, data: { n: n + i } }))
    for (;;) {
      const client = clients[turn++ % clients.length]!
      try {
        await client.publishEvents(options.taskId, batch)
        break
      } catch (error) {
        if (!options.retryUnavailable || !TaskcastError.isInstance(error) || error.code !== 'STORE_UNAVAILABLE') throw error
        if (error.details?.httpStatus === 503) report.unavailable++
        if (await storedAlready(clients, options.taskId, n)) {
          report.storedDespiteError++
          break
        }
      }
    }
    report.published += batch.length
    await options.afterBatch?.(report.published)
    if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs))
  }
  return report
}

/** Waits until some server can read the log again, then tells whether event `n` is in it. */
async function storedAlready(clients: TaskcastServerClient[], taskId: string, n: number): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    try {
      const log = await clients[attempt % clients.length]!.getHistory(taskId, { filter: { types: [SEQ_TYPE], includeStatus: false } })
      return log.some((event) => (event.data as { n: number }).n === n)
    } catch (error) {
      if (!TaskcastError.isInstance(error) || error.code !== 'STORE_UNAVAILABLE') throw error
      if (attempt > 600) throw new Error('the log stayed unreadable for a minute')
    }
  }
}

/** The task's whole log as the store holds it. */
export function history(baseUrl: string, taskId: string): Promise<TaskEvent[]> {
  return sdk(baseUrl).getHistory(taskId)
}
