// One publish request of an idempotent producer: stamped with the Producer-* headers, bounded in
// time, and read as new events (201) or as the answer to a repeat (200).
import type { ProducerStamp, TaskEvent } from '@taskcast/core'
import { networkError, producerHeaders } from '@taskcast/core/wire'
import { request, type RequesterSettings } from './http-requester.js'

export interface StampedAnswer {
  /** The events of the request, as stored. */
  events: TaskEvent[]
  /** The request repeated one already stored: nothing was appended this time. */
  repeat: boolean
}

/**
 * POSTs `body` (a JSON array of events) to `eventsPath` (`/tasks/:id/events`) with `stamp`. No answer within
 * `timeoutMs` is a network failure (retryable); `signal` abandons the request.
 * @throws TaskcastError the server's, or `STORE_UNAVAILABLE` with `details.network`
 */
export async function sendStamped(
  settings: RequesterSettings,
  eventsPath: string,
  stamp: ProducerStamp,
  body: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<StampedAnswer> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(networkError(undefined, `no answer within ${timeoutMs} ms`)), timeoutMs)
  const abandon = (): void => controller.abort(signal.reason)
  if (signal.aborted) abandon()
  else signal.addEventListener('abort', abandon, { once: true })
  try {
    const answer = await request<TaskEvent[]>(settings, 'POST', eventsPath, {
      encodedBody: body,
      headers: producerHeaders(stamp),
      signal: controller.signal,
    })
    return { events: answer.body, repeat: answer.status === 200 }
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', abandon)
  }
}
