// Webhook delivery leases and cursors on Redis (core's DeliveryLeaseStore, SPEC §10). Each
// delivery's state is two internal fields of its task hash (see commands/includes/delivery-state.lua),
// so it shares the task's slot, retention and deletion; one shared sorted set indexes the
// deliveries that may have work.
import {
  isTerminalStatus,
  TASK_STATUSES,
  type DeliveryAcquireResult,
  type DeliveryExtendResult,
  type DeliveryLeaseStore,
  type DeliveryPosition,
  type DeliveryRef,
  type DeliveryReleaseResult,
} from '@taskcast/core'
import type { TaskcastScripts } from './commands/index.js'
import type { RedisClient } from './connection.js'
import { taskKeys } from './keys.js'

/** The terminal statuses as the task hash holds them (JSON), passed to the scripts that need them. */
const TERMINAL_STATUSES = TASK_STATUSES.filter(isTerminalStatus).map((status) => JSON.stringify(status))

const ACQUIRE_RESULTS = ['held', 'acquired', 'idle', 'done', 'gone'] as const
const RELEASE_RESULTS: Record<number, DeliveryReleaseResult> = { 0: 'lost', 1: 'released', 2: 'more', 3: 'done', 4: 'gone' }
const EXTEND_RESULTS: Record<number, DeliveryExtendResult> = { 0: 'lost', 1: 'extended', 2: 'gone' }

/**
 * The index of deliveries that may have work: a sorted set of `<task id>|<delivery key>`
 * scored by when a process should look at it (ms). Like `deadlines` and `outbox`, it has no
 * task hash tag and is only touched by commands and scripts that use no other key.
 */
export function deliveriesKey(prefix: string): string {
  return `${prefix}deliveries`
}

/** A task id never contains `|` (see core's assertTaskId), so the first one ends it. */
function member(ref: DeliveryRef): string {
  return `${ref.taskId}|${ref.key}`
}

function parseMember(value: string): DeliveryRef {
  const split = value.indexOf('|')
  return { taskId: value.slice(0, split), key: value.slice(split + 1) }
}

export class RedisDeliveryLeases implements DeliveryLeaseStore {
  private readonly index: string

  constructor(
    private readonly client: RedisClient & TaskcastScripts,
    private readonly prefix: string,
    private readonly run: <T>(command: () => Promise<T>) => Promise<T>,
  ) {
    this.index = deliveriesKey(prefix)
  }

  async acquire(taskId: string, key: string, owner: string, ttlMs: number): Promise<DeliveryAcquireResult> {
    const [code, cursor, count, createdAt] = await this.run(() =>
      this.client.taskcastAcquireDelivery(...this.keys(taskId), key, owner, Math.ceil(ttlMs), ...TERMINAL_STATUSES),
    )
    const status = ACQUIRE_RESULTS[code]
    if (status === 'held') return { status, remainingMs: Number(cursor) }
    if (status !== 'acquired') return { status: status ?? 'gone' }
    return { status, cursor: Number(cursor), filteredCount: Number(count), taskCreatedAt: Number(JSON.parse(String(createdAt))) }
  }

  async extend(taskId: string, key: string, owner: string, ttlMs: number, position?: DeliveryPosition): Promise<DeliveryExtendResult> {
    const moved = position ? [position.cursor, position.filteredCount] : []
    const [task] = this.keys(taskId)
    const code = await this.run(() => this.client.taskcastExtendDelivery(task, key, owner, Math.ceil(ttlMs), ...moved))
    return EXTEND_RESULTS[code] ?? 'lost'
  }

  async release(
    taskId: string,
    key: string,
    owner: string,
    ttlMs: number,
    position: DeliveryPosition,
    options: { force?: boolean } = {},
  ): Promise<DeliveryReleaseResult> {
    const code = await this.run(() =>
      this.client.taskcastReleaseDelivery(
        ...this.keys(taskId),
        key,
        owner,
        Math.ceil(ttlMs),
        position.cursor,
        position.filteredCount,
        options.force ? '1' : '0',
        ...TERMINAL_STATUSES,
      ),
    )
    return RELEASE_RESULTS[code] ?? 'lost'
  }

  /** `ZADD NX`: a delivery already in the index keeps its time. */
  async track(refs: readonly DeliveryRef[], at: number): Promise<void> {
    if (refs.length === 0) return
    await this.run(() => this.client.zadd(this.index, 'NX', ...refs.flatMap((ref) => [at, member(ref)])))
  }

  /** One script (claim-deliveries-1.lua): due entries are moved to `until` as they are listed. */
  async claimDue(now: number, until: number, limit: number): Promise<DeliveryRef[]> {
    if (limit <= 0) return []
    const members = await this.run(() => this.client.taskcastClaimDeliveries(this.index, now, until, limit))
    return members.map(parseMember)
  }

  /** `ZADD XX`: never adds an entry. */
  async schedule(ref: DeliveryRef, at: number): Promise<void> {
    await this.run(() => this.client.zadd(this.index, 'XX', at, member(ref)))
  }

  async untrack(ref: DeliveryRef): Promise<void> {
    await this.run(() => this.client.zrem(this.index, member(ref)))
  }

  /** The task hash and the events, as KEYS[1..2] of the delivery scripts. */
  private keys(taskId: string): [string, string] {
    const [task, events] = taskKeys(this.prefix, taskId)
    return [task, events]
  }
}
