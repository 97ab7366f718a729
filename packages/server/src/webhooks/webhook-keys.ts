// The key that names a webhook in the store's delivery records: the same in every process
// and across restarts, so that whichever process delivers resumes where the last one stopped.
import { createHash } from 'node:crypto'
import type { WebhookConfig } from '@taskcast/core'

/** A task's own webhook, by its position in the task's (immutable) list. */
export function perTaskWebhookKey(position: number): string {
  return `t${position}`
}

/**
 * Global webhooks, by what makes them one destination: URL, filter and wrap (a new secret or
 * retry policy keeps the key, so the cursor). Identical entries are told apart by their rank.
 */
export function globalWebhookKeys(endpoints: readonly WebhookConfig[]): string[] {
  const seen = new Map<string, number>()
  return endpoints.map((config) => {
    const identity = JSON.stringify([config.url, config.filter ?? null, config.wrap !== false])
    const digest = createHash('sha256').update(identity).digest('hex').slice(0, 16)
    const rank = seen.get(digest) ?? 0
    seen.set(digest, rank + 1)
    return rank === 0 ? `g${digest}` : `g${digest}-${rank}`
  })
}

/** Whether `key` names a task's own webhook (rather than a global one). */
export function isPerTaskWebhookKey(key: string): boolean {
  return /^t\d+$/.test(key)
}
