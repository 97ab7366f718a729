// Whether each store answers, for health checks: a ping that neither resolves nor rejects in
// time counts as no answer.
import type { LongTermStore } from '../storage/long-term-store.js'
import type { ShortTermStore } from '../storage/short-term-store.js'
import { withTimeout } from '../with-timeout.js'

const HEALTH_TIMEOUT_MS = 2000

export interface EngineHealth {
  /** Both stores answered (or there is no long-term store). */
  ok: boolean
  shortTerm: boolean
  /** Present when a long-term store is configured. */
  longTerm?: boolean
}

export async function storeHealth(shortTerm: ShortTermStore, longTerm: LongTermStore | undefined): Promise<EngineHealth> {
  const [short, long] = await Promise.all([answers(shortTerm.ping()), longTerm ? answers(longTerm.ping()) : undefined])
  return { ok: short && long !== false, shortTerm: short, ...(long !== undefined && { longTerm: long }) }
}

async function answers(ping: Promise<void>): Promise<boolean> {
  try {
    return await withTimeout(ping.then(() => true), HEALTH_TIMEOUT_MS, false)
  } catch {
    return false
  }
}
