// Retry settings of a webhook, merged once with the server's default and the product defaults.
import type { RetryConfig } from '@taskcast/core'

export type ResolvedRetry = Required<RetryConfig>

/**
 * The most retries an operator-configured webhook (or default retry) may ask for. The server
 * trusts what it is given, so the code that reads the operator's config (the CLI) checks it;
 * webhooks supplied by API callers are capped much lower, by {@link PER_TASK_RETRY_LIMITS}.
 */
export const MAX_WEBHOOK_RETRIES = 100

export const DEFAULT_RETRY: ResolvedRetry = {
  retries: 3,
  backoff: 'exponential',
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  timeoutMs: 5000,
}

/**
 * Ceilings for webhooks supplied by API callers, so one task cannot hold an outgoing connection
 * or a delivery queue for hours. Operator-configured (global) webhooks are not capped.
 */
export const PER_TASK_RETRY_LIMITS: ResolvedRetry = {
  retries: 10,
  backoff: 'exponential',
  initialDelayMs: 60_000,
  maxDelayMs: 300_000,
  timeoutMs: 30_000,
}

/** Field by field: the webhook's own settings, then the server default, then the product default. */
export function resolveRetry(
  own: RetryConfig | undefined,
  fallback: RetryConfig | undefined,
  capped: boolean,
): ResolvedRetry {
  const merged: ResolvedRetry = { ...DEFAULT_RETRY }
  for (const source of [fallback, own]) {
    if (!source) continue
    for (const key of Object.keys(DEFAULT_RETRY) as (keyof ResolvedRetry)[]) {
      if (source[key] !== undefined) (merged as Record<string, unknown>)[key] = source[key]
    }
  }
  if (capped) {
    merged.retries = Math.min(merged.retries, PER_TASK_RETRY_LIMITS.retries)
    merged.initialDelayMs = Math.min(merged.initialDelayMs, PER_TASK_RETRY_LIMITS.initialDelayMs)
    merged.maxDelayMs = Math.min(merged.maxDelayMs, PER_TASK_RETRY_LIMITS.maxDelayMs)
    merged.timeoutMs = Math.min(merged.timeoutMs, PER_TASK_RETRY_LIMITS.timeoutMs)
  }
  return merged
}

/** Wait before retry number `retry` (1 for the first retry), capped at `maxDelayMs`. */
export function retryDelay(policy: ResolvedRetry, retry: number): number {
  const { initialDelayMs: base } = policy
  const delay =
    policy.backoff === 'fixed' ? base : policy.backoff === 'linear' ? base * retry : base * 2 ** (retry - 1)
  return Math.min(delay, policy.maxDelayMs)
}
