// The task index of SPEC §21 on Redis: sorted sets of `taskIndexKey` members, all scored 0 and
// read by lex range, one of every task and one per status (README, "Task index"). They carry
// no task hash tag, so no script of a task can touch them: writers add an entry before their
// script, removers read the task back after removing, and readers check each entry against
// its task, dropping the ghosts of tasks that vanished.
import { TASK_STATUSES, type Task, type TaskIndexPage, type TaskIndexQuery, type TaskStatus } from '@taskcast/core'
import { matchesTaskQuery, taskIdOfKey, taskIndexKey, taskIndexRange, TASK_LIST_SCAN_LIMIT } from '@taskcast/core/internal'
import type { RedisClient } from './connection.js'
import { taskIndexKeyOfAll, taskIndexKeyOfExpiring, taskIndexKeyOfStatus, taskKeys } from './keys.js'
import { decodeTask } from './task-codec.js'
import { IndexWalk, type IndexSet, type LexRangeReader } from './task-index-walk.js'

/** The store's `run`: sends over a live connection only, and reports failures as TaskcastErrors. */
type Run = <T>(command: () => Promise<T>) => Promise<T>

/** One `ZADD` of an index write. */
export interface IndexEntry {
  set: string
  score: number
  member: string
}

/** Due entries of `index:expiring` one `listTasks` call checks at most. */
const PRUNE_BATCH = 500
/** Task hashes one round trip of `listTasks` fetches at most. */
const MAX_FETCH = 500

/** The index member of a task hash's `createdAt` field (JSON), or `undefined` without a task. */
export function memberOf(taskId: string, createdAtJson: string | null | undefined): string | undefined {
  return createdAtJson == null ? undefined : taskIndexKey({ id: taskId, createdAt: JSON.parse(createdAtJson) as number })
}

/**
 * Whether one of the sets `member` was read from is right for `task` (the set of all tasks, or
 * its status set); the status sets it was read from that are not go into `stale`.
 */
function heldRightly(task: Task, member: string, holding: readonly IndexSet[], stale: Map<TaskStatus, string[]>): boolean {
  let held = false
  for (const { status } of holding) {
    if (status === undefined || status === task.status) held = true
    // Left by a process that died between a transition's script and its cleanup, or written
    // by a transition still in flight (which writes it again after its script).
    else stale.set(status, [...(stale.get(status) ?? []), member])
  }
  return held
}

export class RedisTaskIndex {
  private readonly all: string
  private readonly expiring: string
  /** Every index set: what a member of a vanished task is removed from. */
  private readonly everySet: readonly string[]

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly run: Run,
  ) {
    this.all = taskIndexKeyOfAll(prefix)
    this.expiring = taskIndexKeyOfExpiring(prefix)
    this.everySet = [this.all, ...TASK_STATUSES.map((status) => this.statusSet(status)), this.expiring]
  }

  /** A new task's entries: the set of all tasks, its status set and, with a retention, when it may vanish. */
  entriesOf(task: Task, retentionMs: number): IndexEntry[] {
    const member = taskIndexKey(task)
    const entries = [
      { set: this.all, score: 0, member },
      { set: this.statusSet(task.status), score: 0, member },
    ]
    if (retentionMs > 0) entries.push({ set: this.expiring, score: Date.now() + retentionMs, member })
    return entries
  }

  /** The entry a transition to `status` writes before its script. */
  statusEntry(member: string, status: TaskStatus): IndexEntry {
    return { set: this.statusSet(status), score: 0, member }
  }

  /**
   * Writes `entries`, then runs `script` (one of a task's scripts), so that a task the script
   * writes is never missing from the index, even when this process dies in between. On one
   * node both leave at once: a connection runs commands in the order they were sent. A
   * Cluster may route them to different nodes, so there the script waits for the entries.
   * Resolves the script's result, and whether the entries were written (on one node, they can
   * fail while the script succeeds).
   * @throws the script's error; on a Cluster also the entries', and then the script did not run
   */
  async writeBefore<R>(entries: readonly IndexEntry[], script: () => Promise<R>): Promise<{ result: R; indexed: boolean }> {
    return this.run(async () => {
      if (this.client.isCluster) {
        await this.add(entries)
        return { result: await script(), indexed: true }
      }
      const [added, ran] = await Promise.allSettled([this.add(entries), script()])
      if (ran.status === 'rejected') throw ran.reason
      return { result: ran.value, indexed: added.status === 'fulfilled' }
    })
  }

  /** Writes `entries` (again: `writeBefore` could not). */
  async write(entries: readonly IndexEntry[]): Promise<void> {
    await this.run(() => this.add(entries))
  }

  /**
   * After a transition from `from` to `to`: the entry of `to` once more (a reader may have taken
   * the one written before the script, when it still saw `from`), the one of `from` away, and
   * the member guessed before the script away if the guess was wrong.
   */
  async moved(member: string, from: TaskStatus, to: TaskStatus, guess: string | undefined): Promise<void> {
    await this.run(async () => {
      const writes: Promise<unknown>[] = [this.client.zadd(this.statusSet(to), 0, member)]
      if (guess !== undefined && guess !== member) writes.push(this.client.zrem(this.statusSet(to), guess))
      if (from !== to) writes.push(this.removeThenRestore(() => this.client.zrem(this.statusSet(from), member), [member], from))
      await Promise.all(writes)
    })
  }

  /**
   * After a transition to `status` that did not happen: the entry written for it goes, unless
   * the task is in `status` after all (a concurrent transition to it won).
   */
  async unmoved(member: string, status: TaskStatus): Promise<void> {
    await this.run(() => this.removeThenRestore(() => this.client.zrem(this.statusSet(status), member), [member], status))
  }

  /** The index member of the stored task `taskId`, or `undefined` when there is none. */
  async memberOfStored(taskId: string): Promise<string | undefined> {
    return memberOf(taskId, await this.run(() => this.client.hget(this.taskKey(taskId), 'createdAt')))
  }

  /** After a create refused for an existing id: the entries just written go, unless they are the existing task's. */
  async refused(task: Task): Promise<void> {
    const member = taskIndexKey(task)
    if ((await this.memberOfStored(task.id)) !== member) await this.forget([member])
  }

  /** Takes `members` out of every index set: their tasks are gone. */
  async forget(members: readonly string[]): Promise<void> {
    await this.run(() => this.forgetMembers(members))
  }

  /** Records that the task of `member` may vanish at `at` (ms since epoch), for the prune. */
  async expiresAt(member: string, at: number): Promise<void> {
    await this.run(() => this.client.zadd(this.expiring, at, member))
  }

  /**
   * One page, newest first (oldest first with `oldestFirst`): the members of the query's
   * status sets (or of the set of all tasks) merged in that order, each checked against its
   * task hash, at most `TASK_LIST_SCAN_LIMIT` of them. Entries of vanished tasks and stale
   * status entries met on the way are repaired; due entries of `index:expiring` are pruned
   * alongside.
   */
  async list(query: TaskIndexQuery): Promise<TaskIndexPage> {
    // Alongside the page rather than before it: the page checks every entry it reads anyway.
    const pruning = this.prune(Date.now()).catch(() => undefined)
    try {
      return await this.run(() => this.page(query))
    } finally {
      await pruning
    }
  }

  /**
   * Drops the entries of tasks that vanished by TTL, checking at most `PRUNE_BATCH` due ones:
   * a due entry whose task is still there (a later write renewed its retention) is scored
   * again by the task's TTL, one whose task has no TTL any more leaves `index:expiring`.
   */
  async prune(now: number): Promise<void> {
    await this.run(async () => {
      const due = await this.client.zrangebyscore(this.expiring, '-inf', now, 'LIMIT', 0, PRUNE_BATCH)
      const states = await Promise.all(
        due.map((member) => {
          const key = this.taskKey(taskIdOfKey(member))
          return Promise.all([this.client.hget(key, 'createdAt'), this.client.pttl(key)])
        }),
      )
      const gone: string[] = []
      const renewed: Array<number | string> = []
      const lasting: string[] = []
      due.forEach((member, i) => {
        const [createdAt, ttl] = states[i]!
        // PTTL -2: the task vanished between the two reads.
        if (memberOf(taskIdOfKey(member), createdAt) !== member || ttl === -2) gone.push(member)
        else if (ttl === -1) lasting.push(member)
        else renewed.push(now + ttl, member)
      })
      await Promise.all([
        this.forgetMembers(gone),
        renewed.length > 0 ? this.client.zadd(this.expiring, ...renewed) : undefined,
        lasting.length > 0 ? this.client.zrem(this.expiring, ...lasting) : undefined,
      ])
    })
  }

  private async page(query: TaskIndexQuery): Promise<TaskIndexPage> {
    const sets: IndexSet[] = query.statuses
      ? [...new Set(query.statuses)].map((status) => ({ key: this.statusSet(status), status }))
      : [{ key: this.all, status: undefined }]
    const ascending = query.oldestFirst === true
    const read: LexRangeReader = ascending
      ? (set, min, max, count) => this.client.zrangebylex(set, min, max, 'LIMIT', 0, count)
      : (set, max, min, count) => this.client.zrevrangebylex(set, max, min, 'LIMIT', 0, count)
    const walk = new IndexWalk(read, sets, taskIndexRange(query), ascending)
    const tasks: Task[] = []
    const ghosts = new Set<string>()
    const stale = new Map<TaskStatus, string[]>()
    let examined = 0
    let next: string | null = null
    // Grows while the filters reject entries, so a rare type costs few round trips.
    let fetch = query.limit
    scan: for (;;) {
      const wanted = Math.min(TASK_LIST_SCAN_LIMIT - examined, Math.max(query.limit - tasks.length, fetch))
      const candidates = await walk.take(wanted)
      const hashes = await Promise.all(candidates.map(({ member }) => this.client.hgetall(this.taskKey(taskIdOfKey(member)))))
      for (const [i, { member, sets: holding }] of candidates.entries()) {
        examined++
        const hash = hashes[i]!
        const task = Object.keys(hash).length === 0 ? undefined : decodeTask(hash)
        if (task === undefined || taskIndexKey(task) !== member) {
          ghosts.add(member)
        } else if (heldRightly(task, member, holding, stale) && matchesTaskQuery(task, query)) {
          tasks.push(task)
          if (tasks.length === query.limit) {
            next = member
            break scan
          }
        }
        if (examined === TASK_LIST_SCAN_LIMIT) {
          next = member
          break scan
        }
      }
      if (candidates.length < wanted) break
      fetch = Math.min(fetch * 2, MAX_FETCH)
    }
    await this.repair([...ghosts], stale).catch(() => undefined)
    return { tasks, next }
  }

  /** Best effort, after a page: the entries it found wrong are removed (and put back if they turn out right). */
  private async repair(ghosts: string[], stale: Map<TaskStatus, string[]>): Promise<void> {
    await Promise.all([
      this.forgetMembers(ghosts),
      ...[...stale].map(([status, members]) =>
        this.removeThenRestore(() => this.client.zrem(this.statusSet(status), ...members), members, status),
      ),
    ])
  }

  private async add(entries: readonly IndexEntry[]): Promise<void> {
    await Promise.all(entries.map((entry) => this.client.zadd(entry.set, entry.score, entry.member)))
  }

  private async forgetMembers(members: readonly string[]): Promise<void> {
    if (members.length === 0) return
    await this.removeThenRestore(() => Promise.all(this.everySet.map((set) => this.client.zrem(set, ...members))), members, 'all')
  }

  /**
   * A removal from the index, then a look at the tasks: `members` go back into the sets they
   * still belong to among `removedFrom` (a status set, or 'all': every set). Writers add an
   * entry before their script and transitions again after it, so however a writer's and a
   * remover's commands interleave, the entries a task needs are there at the end. On one node
   * the reads leave right behind the removal; a Cluster may route them elsewhere, so there
   * they wait for it.
   */
  private async removeThenRestore(
    remove: () => Promise<unknown>,
    members: readonly string[],
    removedFrom: TaskStatus | 'all',
  ): Promise<void> {
    if (this.client.isCluster) {
      await remove()
      await this.restore(members, removedFrom)
    } else {
      await Promise.all([remove(), this.restore(members, removedFrom)])
    }
  }

  private async restore(members: readonly string[], removedFrom: TaskStatus | 'all'): Promise<void> {
    const states = await Promise.all(
      members.map((member) => this.client.hmget(this.taskKey(taskIdOfKey(member)), 'createdAt', 'status')),
    )
    const writes: Promise<unknown>[] = []
    members.forEach((member, i) => {
      const [createdAt, status] = states[i]!
      if (status == null || memberOf(taskIdOfKey(member), createdAt) !== member) return
      const current = JSON.parse(status) as TaskStatus
      if (removedFrom === 'all') writes.push(this.client.zadd(this.all, 0, member))
      if (removedFrom === 'all' || removedFrom === current) writes.push(this.client.zadd(this.statusSet(current), 0, member))
    })
    await Promise.all(writes)
  }

  private statusSet(status: TaskStatus): string {
    return taskIndexKeyOfStatus(this.prefix, status)
  }

  private taskKey(taskId: string): string {
    return taskKeys(this.prefix, taskId)[0]
  }
}
