// The memory store's task index (SPEC §21): sorted arrays of index keys, one of every task
// and one per status, so a page is a binary search and a walk, never a scan of every task.
import { taskIndexKey, taskIndexRange, TASK_LIST_SCAN_LIMIT, type TaskIndexQuery } from '../task-list.js'
import type { Task, TaskStatus } from '../types.js'

/** Index keys in ascending order. Tasks arrive mostly newest last, so inserts land at the end. */
class SortedKeys {
  private readonly keys: string[] = []

  add(key: string): void {
    const at = this.lowerBound(key)
    if (this.keys[at] !== key) this.keys.splice(at, 0, key)
  }

  remove(key: string): void {
    const at = this.lowerBound(key)
    if (this.keys[at] === key) this.keys.splice(at, 1)
  }

  /** Position of the first key ≥ `key`. */
  lowerBound(key: string): number {
    let lo = 0
    let hi = this.keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.keys[mid]! < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Position of the first key ≥ `key`, or with `past` of the first key > `key`. */
  boundOf(key: string, past: boolean): number {
    const at = this.lowerBound(key)
    return past && this.keys[at] === key ? at + 1 : at
  }

  at(position: number): string | undefined {
    return this.keys[position]
  }

  get size(): number {
    return this.keys.length
  }
}

/** A reader walking one set downwards: `position` is the next key to read. */
interface Head {
  set: SortedKeys
  position: number
}

export class MemoryTaskIndex {
  private readonly all = new SortedKeys()
  private readonly byStatus = new Map<TaskStatus, SortedKeys>()

  add(task: Task): void {
    const key = taskIndexKey(task)
    this.all.add(key)
    this.statusSet(task.status).add(key)
  }

  move(task: Task, from: TaskStatus): void {
    if (from === task.status) return
    const key = taskIndexKey(task)
    this.byStatus.get(from)?.remove(key)
    this.statusSet(task.status).add(key)
  }

  remove(task: Task): void {
    const key = taskIndexKey(task)
    this.all.remove(key)
    this.byStatus.get(task.status)?.remove(key)
  }

  /**
   * Walks the index within `query`'s range, newest first (oldest first with `oldestFirst`),
   * calling `visit` with each key until it returns false (the page is full); resolves the key
   * to continue from, or `null`.
   */
  walk(query: TaskIndexQuery, visit: (key: string) => boolean): string | null {
    const { lower, upper } = taskIndexRange(query)
    const up = query.oldestFirst === true
    const sets = query.statuses ? [...new Set(query.statuses)].flatMap((status) => this.byStatus.get(status) ?? []) : [this.all]
    // A head's position is the next key to read (up) or one past it (down).
    const heads: Head[] = sets.map((set) => ({
      set,
      position: up
        ? lower === undefined
          ? 0
          : set.boundOf(lower.key, !lower.inclusive)
        : upper === undefined
          ? set.size
          : set.boundOf(upper.key, upper.inclusive),
    }))
    const within = up
      ? (key: string) => upper === undefined || key < upper.key || (upper.inclusive && key === upper.key)
      : (key: string) => lower === undefined || key > lower.key || (lower.inclusive && key === lower.key)
    for (let examined = 0; ; ) {
      let best: Head | undefined
      let bestKey = ''
      for (const head of heads) {
        const key = head.set.at(up ? head.position : head.position - 1)
        if (key === undefined || !within(key)) continue
        if (best === undefined || (up ? key < bestKey : key > bestKey)) {
          best = head
          bestKey = key
        }
      }
      if (best === undefined) return null
      best.position += up ? 1 : -1
      if (!visit(bestKey) || ++examined >= TASK_LIST_SCAN_LIMIT) return bestKey
    }
  }

  private statusSet(status: TaskStatus): SortedKeys {
    let set = this.byStatus.get(status)
    if (!set) this.byStatus.set(status, (set = new SortedKeys()))
    return set
  }
}
