// Webhook delivery leases and cursors (SPEC §10): which process delivers a (task, webhook) pair
// right now, and how far the pair's delivery got, kept in the short-term store so that every
// process sees the same thing and a killed process leaves nothing stuck.

/** How far one (task, webhook) delivery got. */
export interface DeliveryPosition {
  /** Raw index of the last event handled (delivered, reported failed, or not selected by the webhook's filter); -1 before the first. */
  cursor: number
  /** Events up to `cursor` that the webhook's filter selects: the `filteredIndex` of the next one. */
  filteredCount: number
}

/** One (task, webhook) delivery, as the index of deliveries names it. */
export interface DeliveryRef {
  taskId: string
  /** The webhook, named by the caller; stable across processes and restarts. */
  key: string
}

/** What {@link DeliveryLeaseStore.acquire} found. */
export type DeliveryAcquireResult =
  /** The caller holds the lease until `ttlMs` from now and should deliver the events after `cursor`. */
  | (DeliveryPosition & {
      status: 'acquired'
      /** `createdAt` of the task the lease belongs to: it tells one incarnation of a task id from another. */
      taskCreatedAt: number
    })
  /** Another owner holds a lease that has not expired; it will see the newer events before it lets go. */
  | {
      status: 'held'
      /** Until the lease expires, unless its holder extends it (by the store's clock). */
      remainingMs: number
    }
  /** Nothing after the cursor: there is nothing to do and the lease was not taken. */
  | { status: 'idle' }
  /** The task ended and every event up to its end was handled: the delivery is over for good. */
  | { status: 'done' }
  /** There is no such task (deleted, expired, or never created). */
  | { status: 'gone' }

/**
 * What {@link DeliveryLeaseStore.release} did: `released` (caught up, the lease is free),
 * `more` (events arrived after the position given: the lease is kept, extended, and the
 * caller carries on), `done` (caught up with a task that ended; the delivery is over),
 * `lost` (the caller no longer holds the lease; nothing changed) or `gone` (no such task).
 */
export type DeliveryReleaseResult = 'released' | 'more' | 'done' | 'lost' | 'gone'

/**
 * What {@link DeliveryLeaseStore.extend} did: `extended`, `lost` (the caller no longer holds
 * the lease; nothing changed) or `gone` (no such task: deleted, expired, or created again
 * under the same id, which took the lease with the old task).
 */
export type DeliveryExtendResult = 'extended' | 'lost' | 'gone'

/**
 * Leases and cursors of webhook deliveries, one record per (task, webhook). A lease is an
 * owner token with an expiry: at most one owner holds an unexpired lease of a pair, and an
 * expired one is taken over by the next `acquire`. Only the holder moves the cursor, and
 * only forward. A record lives and dies with its task: deleting the task (or its expiry)
 * removes it, and a task created again under the same id starts from a fresh record.
 *
 * Every method is atomic with respect to every other caller and to the task's own writes,
 * in every process sharing the store (for Redis: one Lua script on the task's keys).
 *
 * Besides the records, an index of deliveries that may have work (`track`, `claimDue`,
 * `schedule`, `untrack`) lets every process find pairs whose owner died or whose publisher
 * died before it could start the delivery. The index is only a hint of where to look;
 * the records decide.
 */
export interface DeliveryLeaseStore {
  /**
   * Takes the lease of the pair for `ttlMs` when it is free, expired or already `owner`'s,
   * provided there is an event after the cursor (`idle` otherwise) and the delivery is not
   * over (`done`). Reaching the end of an ended task marks the delivery done.
   */
  acquire(taskId: string, key: string, owner: string, ttlMs: number): Promise<DeliveryAcquireResult>
  /**
   * Extends `owner`'s lease to `ttlMs` from now and, with `position`, moves the cursor forward
   * to it (never back). Changes nothing unless `owner` holds the lease.
   */
  extend(taskId: string, key: string, owner: string, ttlMs: number, position?: DeliveryPosition): Promise<DeliveryExtendResult>
  /**
   * Moves the cursor forward to `position` and lets the lease go if nothing was appended after
   * it; otherwise keeps it, extended by `ttlMs` (`more`). With `force`, lets go regardless
   * (a process shutting down). Changes nothing unless `owner` holds the lease.
   */
  release(
    taskId: string,
    key: string,
    owner: string,
    ttlMs: number,
    position: DeliveryPosition,
    options?: { force?: boolean },
  ): Promise<DeliveryReleaseResult>
  /** Adds pairs to the index, due at `at` (ms); a pair already there keeps its time. */
  track(refs: readonly DeliveryRef[], at: number): Promise<void>
  /**
   * Pairs due at or before `now`, at most `limit`, each moved to `until` in the same atomic
   * step: of several processes claiming at once, each pair goes to one of them.
   */
  claimDue(now: number, until: number, limit: number): Promise<DeliveryRef[]>
  /** Moves a pair of the index to `at`; never adds one. */
  schedule(ref: DeliveryRef, at: number): Promise<void>
  /** Removes a pair from the index. */
  untrack(ref: DeliveryRef): Promise<void>
}
