// Delivery leases kept in this process, for a short-term store that keeps none of its own
// (`ShortTermStore.deliveries` is optional). Right for one process; with several processes on
// such a store, each one delivers what it sees and nothing is shared.
import {
  isTerminalStatus,
  type DeliveryLeaseStore,
  type DeliveryPosition,
  type ShortTermStore,
  type Clock,
} from '@taskcast/core'

/** Finished deliveries remembered (so that a late poke does not start one over); past it the oldest is forgotten. */
const MAX_DONE = 10_000

interface LocalRecord extends DeliveryPosition {
  createdAt: number
  done: boolean
  owner: string | undefined
  expiresAt: number
}

export function createLocalDeliveryLeases(store: ShortTermStore, clock: Clock): DeliveryLeaseStore {
  const records = new Map<string, LocalRecord>()
  const index = new Map<string, number>()
  const id = (taskId: string, key: string) => `${taskId}|${key}`

  /** The record of the task as it is now (a new one for a task created again under the id). */
  const recordOf = (taskId: string, key: string, createdAt: number): LocalRecord => {
    let record = records.get(id(taskId, key))
    if (!record || record.createdAt !== createdAt) {
      record = { createdAt, cursor: -1, filteredCount: 0, done: false, owner: undefined, expiresAt: 0 }
      records.set(id(taskId, key), record)
    }
    return record
  }
  const hasEventsAfter = async (taskId: string, cursor: number) =>
    (await store.getEvents(taskId, { fromIndex: cursor + 1 })).length > 0
  const moveForward = (record: LocalRecord, position: DeliveryPosition) => {
    if (position.cursor <= record.cursor) return
    record.cursor = position.cursor
    record.filteredCount = position.filteredCount
  }
  const done = new Set<string>()
  const markDone = (taskId: string, key: string, record: LocalRecord) => {
    record.done = true
    done.add(id(taskId, key))
    if (done.size <= MAX_DONE) return
    const oldest = done.values().next().value!
    done.delete(oldest)
    records.delete(oldest)
  }
  /** The record of a task that is gone (or was created again): it goes too, as a store's would. */
  const forget = (taskId: string, key: string, record: LocalRecord): 'gone' => {
    if (records.get(id(taskId, key)) === record) records.delete(id(taskId, key))
    done.delete(id(taskId, key))
    return 'gone'
  }
  const held = (taskId: string, key: string, owner: string) => {
    const record = records.get(id(taskId, key))
    return record?.owner === owner ? record : undefined
  }

  return {
    async acquire(taskId, key, owner, ttlMs) {
      const task = await store.getTask(taskId)
      if (!task) {
        records.delete(id(taskId, key))
        done.delete(id(taskId, key))
        return { status: 'gone' }
      }
      const record = recordOf(taskId, key, task.createdAt)
      if (record.owner !== undefined && record.owner !== owner && record.expiresAt > clock.now()) {
        return { status: 'held', remainingMs: record.expiresAt - clock.now() }
      }
      if (record.done) return { status: 'done' }
      record.owner = owner
      record.expiresAt = clock.now() + ttlMs
      if (!(await hasEventsAfter(taskId, record.cursor))) {
        record.owner = undefined
        if (!isTerminalStatus(task.status)) return { status: 'idle' }
        markDone(taskId, key, record)
        return { status: 'done' }
      }
      return { status: 'acquired', cursor: record.cursor, filteredCount: record.filteredCount, taskCreatedAt: task.createdAt }
    },
    async extend(taskId, key, owner, ttlMs, position) {
      const record = held(taskId, key, owner)
      if (!record) return 'lost'
      const task = await store.getTask(taskId)
      if (!task || task.createdAt !== record.createdAt) return forget(taskId, key, record)
      record.expiresAt = clock.now() + ttlMs
      if (position) moveForward(record, position)
      return 'extended'
    },
    async release(taskId, key, owner, ttlMs, position, options = {}) {
      const record = held(taskId, key, owner)
      if (!record) return 'lost'
      moveForward(record, position)
      const task = await store.getTask(taskId)
      if (!task || task.createdAt !== record.createdAt) return forget(taskId, key, record)
      if (!options.force && (await hasEventsAfter(taskId, record.cursor))) {
        record.expiresAt = clock.now() + ttlMs
        return 'more'
      }
      record.owner = undefined
      if (options.force || !isTerminalStatus(task.status)) return 'released'
      markDone(taskId, key, record)
      return 'done'
    },
    async track(refs, at) {
      for (const ref of refs) if (!index.has(id(ref.taskId, ref.key))) index.set(id(ref.taskId, ref.key), at)
    },
    async claimDue(now, until, limit) {
      const due = []
      for (const [entry, at] of index) {
        if (due.length >= limit) break
        if (at > now) continue
        index.set(entry, until)
        const split = entry.indexOf('|')
        due.push({ taskId: entry.slice(0, split), key: entry.slice(split + 1) })
      }
      return due
    },
    async schedule(ref, at) {
      if (index.has(id(ref.taskId, ref.key))) index.set(id(ref.taskId, ref.key), at)
    },
    async untrack(ref) {
      index.delete(id(ref.taskId, ref.key))
    },
  }
}
