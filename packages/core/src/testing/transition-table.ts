// SPEC §2's transition table as the tests expect it, written out apart from the state machine
// it checks (a test that read the machine's own table could not fail).
import type { TaskStatus } from '../types.js'

/**
 * How a move may come about: through the API, only by an expired TTL, only by worker
 * assignment (§18), or through the API and by the worker machinery (a lapsed lease, a lost worker).
 */
export type ExpectedCause = 'api' | 'ttl only' | 'worker only' | 'api or worker'

const EXPECTED: Readonly<Record<string, ExpectedCause>> = {
  'pending>running': 'api',
  'pending>assigned': 'worker only',
  'pending>cancelled': 'api',
  'pending>timeout': 'ttl only',
  'assigned>running': 'api or worker',
  'assigned>pending': 'api or worker',
  'assigned>cancelled': 'api',
  'assigned>timeout': 'ttl only',
  'running>completed': 'api',
  'running>failed': 'api',
  'running>timeout': 'api',
  'running>cancelled': 'api',
  'running>paused': 'api',
  'running>blocked': 'api',
  'paused>running': 'api',
  'paused>cancelled': 'api',
  'paused>timeout': 'ttl only',
  'blocked>running': 'api',
  'blocked>failed': 'api',
  'blocked>cancelled': 'api',
  'blocked>timeout': 'ttl only',
}

/** How `from → to` may happen, or `undefined` when it never may. */
export function expectedTransition(from: TaskStatus, to: TaskStatus): ExpectedCause | undefined {
  return EXPECTED[`${from}>${to}`]
}

/** Statuses that end a task, as SPEC §2 lists them. */
export const EXPECTED_TERMINAL: readonly TaskStatus[] = ['completed', 'failed', 'timeout', 'cancelled']
