// One delivery of one event to one webhook, with its retries (SPEC §10): the same bytes,
// signature and delivery id on every attempt, waits by the retry policy, no redirects.
import { TaskcastError, type Clock, type TaskEvent, type WebhookConfig } from '@taskcast/core'
import { checkWebhookUrl } from './assert-webhook-url-allowed.js'
import { retryDelay, type ResolvedRetry } from './retry-policy.js'
import { sendAttempt, type AttemptFailure } from './send-attempt.js'
import { SIGNATURE_HEADER, signBody } from './sign-body.js'
import type { WebhookOptions } from './webhook-types.js'

/** One webhook as one task sees it. */
export interface DeliveryTarget {
  /** Names the webhook in the store's delivery records (see webhook-keys.ts). */
  key: string
  config: WebhookConfig
  /** Supplied by an API caller (checked against private networks at send time), not by the operator. */
  perTask: boolean
  retry: ResolvedRetry
}

export type SendOutcome =
  | { status: 'delivered' }
  /** Every attempt failed: to be reported through `onWebhookFailed`. */
  | { status: 'failed'; error: TaskcastError }
  /** `signal` was aborted (shutdown, or the delivery's lease was lost): nothing to report. */
  | { status: 'stopped' }

export interface SendContext {
  options: WebhookOptions
  /** The app's own fetch; undefined: node:http/https, connected to the checked addresses. */
  fetch: typeof fetch | undefined
  clock: Clock
  /** Aborts the attempt in flight and any wait before the next one. */
  signal: AbortSignal
  /** An attempt failed and another one follows. */
  onRetry?: (() => void) | undefined
}

const encoder = new TextEncoder()

export async function sendDelivery(
  target: DeliveryTarget,
  event: TaskEvent,
  payload: unknown,
  context: SendContext,
): Promise<SendOutcome> {
  const { signal, clock } = context
  // Serialised and signed once: every attempt sends the same bytes.
  const body = encoder.encode(JSON.stringify(payload))
  const fixedHeaders: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'taskcast-webhook',
    'X-Taskcast-Event': event.type,
    'X-Taskcast-Delivery': event.id,
  }
  if (target.config.secret !== undefined) fixedHeaders[SIGNATURE_HEADER] = signBody(body, target.config.secret)
  const attempts = target.retry.retries + 1
  let failure: AttemptFailure | undefined
  let attempt = 0
  while (attempt < attempts) {
    if (signal.aborted) return { status: 'stopped' }
    attempt++
    failure = await attemptOnce(target, body, fixedHeaders, context)
    if (failure?.reason === 'refused') break
    if (!failure) return { status: 'delivered' }
    if (signal.aborted) return { status: 'stopped' }
    if (attempt < attempts) {
      context.onRetry?.()
      await sleep(clock, retryDelay(target.retry, attempt), signal)
    }
  }
  if (signal.aborted) return { status: 'stopped' }
  return { status: 'failed', error: deliveryError(failure!, attempt) }
}

/**
 * One attempt. A per-task URL is checked again first (DNS may have changed since the task was
 * created), and the attempt connects to the addresses that check resolved, not to a second answer.
 */
async function attemptOnce(
  target: DeliveryTarget,
  body: Uint8Array<ArrayBuffer>,
  fixedHeaders: Record<string, string>,
  context: SendContext,
): Promise<AttemptFailure | undefined> {
  let addresses: string[] | undefined
  if (target.perTask) {
    try {
      // An allowed host is resolved too when the attempt connects itself, so that one answer serves.
      addresses = await checkWebhookUrl(target.config.url, context.options, { resolveAllowed: context.fetch === undefined })
    } catch (cause) {
      if (TaskcastError.isInstance(cause) && cause.code === 'VALIDATION_ERROR') return { reason: 'refused', cause }
      // An allowed host that does not resolve: a network error like any other, retried.
      return { reason: 'network', cause }
    }
  }
  return sendAttempt({
    url: target.config.url,
    headers: { ...fixedHeaders, 'X-Taskcast-Timestamp': String(Math.floor(context.clock.now() / 1000)) },
    body,
    timeoutMs: target.retry.timeoutMs,
    signal: context.signal,
    ...(addresses && { addresses }),
    ...(context.fetch && { fetch: context.fetch }),
  })
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clock.clearTimeout(handle)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const handle = clock.setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

function deliveryError(failure: AttemptFailure, attempts: number): TaskcastError {
  const what =
    failure.reason === 'status'
      ? `HTTP ${failure.status}`
      : failure.reason === 'redirect'
        ? `redirect (HTTP ${failure.status}), which is not followed`
        : failure.reason === 'timeout'
          ? 'timed out'
          : failure.reason === 'refused'
            ? 'the URL no longer passes the private-network check'
            : 'network error'
  return new TaskcastError('INTERNAL', `webhook delivery failed after ${attempts} attempt(s): ${what}`, {
    cause: failure.cause,
    details: { attempts, reason: failure.reason, ...(failure.status !== undefined && { status: failure.status }) },
  })
}
