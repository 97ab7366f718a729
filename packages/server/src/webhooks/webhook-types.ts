// Configuration of webhook delivery (SPEC §10).
import type { RetryConfig, WebhookConfig } from '@taskcast/core'

export interface WebhookOptions {
  /** Global webhooks from the operator's config: trusted, not SSRF-checked. */
  endpoints?: WebhookConfig[]
  /** Retry settings for webhooks that give none. */
  defaultRetry?: RetryConfig
  /** Let per-task webhooks target private, loopback and link-local addresses. @defaultValue false */
  allowPrivateNetworks?: boolean
  /** Hosts per-task webhooks may target even when they resolve to private addresses. */
  allowedHosts?: string[]
  /** @defaultValue globalThis.fetch */
  fetch?: typeof fetch
  /**
   * Resolves a host name to IP addresses for the SSRF check of per-task webhooks.
   * @defaultValue `dns.lookup(host, { all: true })` from node:dns/promises
   */
  lookup?: (hostname: string) => Promise<string[]>
  /**
   * Deliveries waiting per webhook and task; past it the oldest waiting delivery is dropped
   * (and reported through `onUnhandledError`). @defaultValue 10_000
   */
  maxPendingPerQueue?: number
}
