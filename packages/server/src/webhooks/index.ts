// Webhook delivery and the SSRF guard for webhooks supplied by API callers.
export {
  createWebhookDispatcher,
  DEFAULT_DELIVERY_LEASE_MS,
  DEFAULT_DELIVERY_RECHECK_MS,
  DEFAULT_DELIVERY_SWEEP_MS,
  WEBHOOK_OUTCOMES,
} from './create-webhook-dispatcher.js'
export type { WebhookDispatcher, WebhookDispatcherOptions, WebhookOutcome } from './create-webhook-dispatcher.js'
export { assertWebhookUrlAllowed } from './assert-webhook-url-allowed.js'
export { classifyIp } from './ip-ranges.js'
export type { AddressClass } from './ip-ranges.js'
export { DEFAULT_RETRY, PER_TASK_RETRY_LIMITS, resolveRetry, retryDelay } from './retry-policy.js'
export type { ResolvedRetry } from './retry-policy.js'
export { signBody, SIGNATURE_HEADER } from './sign-body.js'
export type { WebhookOptions } from './webhook-types.js'
