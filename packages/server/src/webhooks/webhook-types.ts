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
  /**
   * Sends the requests instead of node:http/https. Without it, a per-task webhook's request
   * connects to the very addresses its SSRF check resolved and passed (no DNS rebinding window
   * between the check and the connection). An injected fetch resolves the name again itself:
   * pinning the connection to the checked address is then its job (with undici, a dispatcher
   * whose `connect.lookup` answers what `lookup` below answered), or an egress firewall's.
   * It is called with `redirect: 'manual'` and an abort signal for the timeout.
   * @defaultValue node:http/https, a fresh connection per attempt
   */
  fetch?: typeof fetch
  /**
   * Resolves a host name to IP addresses for per-task webhooks: the SSRF check classifies the
   * answer, and (without an injected `fetch`) the request connects to it, so the name is
   * resolved once per attempt. Without an injected `fetch`, allowed hosts (`allowPrivateNetworks`,
   * `allowedHosts`) are resolved with it too, only not checked.
   * @defaultValue `dns.lookup(host, { all: true })` from node:dns/promises
   */
  lookup?: (hostname: string) => Promise<string[]>
  /**
   * How long a process's hold on a (task, webhook) delivery lasts without being extended: after
   * a process dies, another one takes its deliveries over within about this long. The holder
   * extends it every third of it. @defaultValue 10_000
   */
  leaseMs?: number
  /** How often the store's index of deliveries is swept for deliveries to take over. @defaultValue 1000 */
  sweepMs?: number
  /**
   * How often a live task's deliveries that look idle are looked at again, for events whose
   * publishing process died before it could start their delivery. @defaultValue 60_000
   */
  recheckMs?: number
}
