// RedisShortTermStore: core's ShortTermStore on Redis, every write one Lua script.
import {
  isTerminalStatus,
  TaskcastError,
  type AppendExpectation,
  type EventDraft,
  type EventRange,
  type LogStart,
  type LogTail,
  type ProducerAppend,
  type ProducerStamp,
  type ShortTermStore,
  type Task,
  type TaskEvent,
  type TaskIndexPage,
  type TaskIndexQuery,
  type TransitionOutcome,
  type TransitionRequest,
} from '@taskcast/core'
import { sequenceGap, staleProducer, taskIndexKey } from '@taskcast/core/internal'
import { defineScripts, type TaskcastScripts } from './commands/index.js'
import { WriteConnection, type RedisClient, type RedisConnectionOptions } from './connection.js'
import { CreatedAtCache } from './created-at-cache.js'
import { SCRIPT_CODES, scriptCodeError, toTaskcastError } from './errors.js'
import { decodeEvent, encodeDraft, joinAroundField } from './event-codec.js'
import { checkKeyPrefix, deadlinesKey, DEFAULT_KEY_PREFIX, outboxKey, taskKeys } from './keys.js'
import { decodeTask, encodePatch, encodeTaskFields } from './task-codec.js'
import { RedisDeliveryLeases } from './redis-delivery-leases.js'
import { memberOf, RedisTaskIndex } from './task-index.js'

/** An archive outbox entry, as core's `ShortTermStore.outboxList` gives it. */
type OutboxEntry = Awaited<ReturnType<NonNullable<ShortTermStore['outboxList']>>>[number]

export interface RedisShortTermStoreOptions extends RedisConnectionOptions {
  /**
   * Prepended to every key; must not contain braces (the task id is the hash tag).
   * @defaultValue 'taskcast:'
   */
  keyPrefix?: string
  /**
   * When set, every write gives all keys of the task this time to live, so a task
   * nobody touches for that long disappears. A deadline set by `expire()` takes
   * precedence. Unset: keys live until `deleteTask` or `expire`.
   * @defaultValue undefined
   */
  retentionSeconds?: number
}

/**
 * Tasks and their event logs in Redis (SPEC §6). Per task, with `{id}` as hash tag:
 * `task:{id}` (hash), `events:{id}` (sorted set of event JSON scored by index),
 * `series:{id}` (hash of series state) and `ids:{id}` (hash event id → index); and shared
 * sorted sets that outlive any process: `deadlines` (TTL deadlines), `outbox` (the archive
 * outbox: tasks whose changes may not be in the long-term store yet) and the `index:*` sets
 * of the task index (`listTasks`, see task-index.ts).
 *
 * @example
 * ```ts
 * const store = new RedisShortTermStore({ url: 'redis://127.0.0.1:6379' })
 * await store.createTask({ id: 't1', status: 'pending', createdAt: Date.now(), updatedAt: Date.now() })
 * ```
 */
export class RedisShortTermStore implements ShortTermStore {
  private readonly connection: WriteConnection
  private readonly client: RedisClient & TaskcastScripts
  private readonly prefix: string
  private readonly deadlines: string
  private readonly outbox: string
  private readonly retentionMs: number
  private readonly index: RedisTaskIndex
  private readonly createdAts = new CreatedAtCache()
  /** The archive outbox is in Redis: what one process did not archive, another one does. */
  readonly outboxDurable = true
  readonly checksAppendExpectation = true

  constructor(options: RedisShortTermStoreOptions) {
    this.prefix = checkKeyPrefix(options.keyPrefix ?? DEFAULT_KEY_PREFIX)
    this.deadlines = deadlinesKey(this.prefix)
    this.outbox = outboxKey(this.prefix)
    const retention = options.retentionSeconds
    if (retention !== undefined && !(retention > 0)) {
      throw new TaskcastError('VALIDATION_ERROR', 'retentionSeconds must be a positive number')
    }
    this.retentionMs = retention === undefined ? 0 : Math.ceil(retention * 1000)
    this.connection = new WriteConnection(options, 'RedisShortTermStore')
    this.client = defineScripts(this.connection.client)
    this.index = new RedisTaskIndex(this.client, this.prefix, (command) => this.run(command))
  }

  async createTask(task: Task): Promise<boolean> {
    // The index entries go first, so that a stored task is never missing from the index.
    const entries = this.index.entriesOf(task, this.retentionMs)
    const { result: created, indexed } = await this.index.writeBefore(entries, () =>
      this.client.taskcastCreateTask(...this.keys(task.id), this.retentionMs, ...encodeTaskFields(task)),
    )
    if (created !== 1) {
      // Best effort: an entry left behind is a ghost, which the first page that reads it drops.
      await this.index.refused(task).catch(() => undefined)
      return false
    }
    this.createdAts.set(task.id, task.createdAt)
    // Separate commands, after the script: the deadlines key has no task hash tag, so on
    // Redis Cluster it may live in another slot than the task's keys. Should the process die
    // between the two, `transitionTask` records the deadline again when the task starts.
    await Promise.all([
      indexed ? undefined : this.index.write(entries),
      task.ttl === undefined ? undefined : this.recordDeadline(task),
    ])
    return true
  }

  async getTask(taskId: string): Promise<Task | null> {
    const hash = await this.run(() => this.client.hgetall(this.keys(taskId)[0]))
    if (Object.keys(hash).length === 0) return null
    const task = decodeTask(hash)
    this.createdAts.set(taskId, task.createdAt)
    return task
  }

  async transitionTask(taskId: string, request: TransitionRequest): Promise<TransitionOutcome | null> {
    const { set, remove } = encodePatch(request.patch)
    const draft = encodeDraft(request.event)
    const to = request.patch.status
    // The new status' entry goes first (a guess of the member: the script returns the real one).
    const guess = await this.guessMember(taskId)
    const { result, indexed } = await this.index.writeBefore(guess === undefined ? [] : [this.index.statusEntry(guess, to)], () =>
      this.client.taskcastTransitionTask(
        ...this.keys(taskId),
        this.retentionMs,
        JSON.stringify(request.from),
        request.fromAssignedAt ?? '',
        set.length / 2,
        ...set,
        remove.length,
        ...remove,
        ...draft.args,
      ),
    )
    if (typeof result === 'number') {
      if (guess !== undefined) await this.index.unmoved(guess, to).catch(() => undefined)
      if (result === SCRIPT_CODES.STATUS_CHANGED) return null
      throw scriptCodeError(result, taskId)
    }
    const [index, ...hash] = result
    const task = decodeTask(hash)
    this.createdAts.set(taskId, task.createdAt)
    const moved = this.index.moved(taskIndexKey(task), request.from, task.status, guess)
    await Promise.all([
      // Best effort once the entry written before the script is there: the transition
      // happened, and a stale entry of the old status is skipped (and removed) by readers.
      indexed ? moved.catch(() => undefined) : moved,
      // Repairs a deadline lost between createTask's two commands. Best effort: the
      // transition happened, and in the normal case the deadline is already recorded.
      task.ttl !== undefined && !isTerminalStatus(task.status) ? this.recordDeadline(task).catch(() => undefined) : undefined,
    ])
    return { task, event: { ...draft.event, index: Number(index) } as TaskEvent }
  }

  async appendEvents(taskId: string, drafts: EventDraft[], expect?: AppendExpectation): Promise<TaskEvent[]> {
    const encoded = drafts.map(encodeDraft)
    const first = await this.run(() =>
      this.client.taskcastAppendEvents(
        ...this.keys(taskId),
        this.retentionMs,
        encoded.length,
        ...encoded.flatMap((draft) => draft.args),
        expectedCreatedAt(expect),
      ),
    )
    if (first < 0) throw scriptCodeError(first, taskId)
    return encoded.map((draft, i) => ({ ...draft.event, index: first + i }) as TaskEvent)
  }

  async appendProducerEvents(taskId: string, drafts: EventDraft[], stamp: ProducerStamp, expect?: AppendExpectation): Promise<ProducerAppend> {
    const encoded = drafts.map(encodeDraft)
    const [code, first, members] = await this.run(() =>
      this.client.taskcastAppendProducerEvents(
        ...this.keys(taskId),
        this.retentionMs,
        stamp.id,
        stamp.epoch,
        stamp.seq,
        encoded.length,
        ...encoded.flatMap((draft) => draft.args),
        expectedCreatedAt(expect),
      ),
    )
    if (code === 0) return { events: encoded.map((draft, i) => ({ ...draft.event, index: first! + i }) as TaskEvent), retry: false }
    if (code === 1) return { events: members!.map(decodeEvent), retry: true }
    if (code === SCRIPT_CODES.STALE_PRODUCER) throw staleProducer(stamp, first!)
    if (code === SCRIPT_CODES.SEQUENCE_GAP) throw sequenceGap(stamp, first!)
    throw scriptCodeError(code, taskId)
  }

  async getEvents(taskId: string, range: EventRange = {}): Promise<TaskEvent[]> {
    const min = range.fromIndex ?? '-inf'
    const max = range.toIndex ?? '+inf'
    const members = await this.run(() => this.client.zrangebyscore(this.keys(taskId)[1], min, max))
    return members.map(decodeEvent)
  }

  async getEventsFrom(taskId: string, start: LogStart): Promise<LogTail | undefined> {
    const [, events, , ids] = this.keys(taskId)
    const at = 'position' in start ? ['p', start.position] : ['i', start.eventId]
    const read = await this.run(() => this.client.taskcastReadEventsFrom(events, ids, ...at))
    if (!read) return undefined
    return { position: Number(read[0]), events: read[1].map(decodeEvent) }
  }

  async getSeriesValue(taskId: string, seriesId: string): Promise<unknown> {
    const [pre, content, post] = await this.run(() =>
      this.client.hmget(this.keys(taskId)[2], `ap:${seriesId}`, `at:${seriesId}`, `as:${seriesId}`),
    )
    if (pre == null || content == null || post == null) return undefined
    return joinAroundField(pre, content, post)
  }

  async deleteTask(taskId: string): Promise<boolean> {
    const keys = this.keys(taskId)
    // One round trip: both go to the task's slot, whose connection runs them in this order.
    const [createdAt, deleted] = await this.run(() =>
      Promise.all([this.client.hget(keys[0], 'createdAt'), this.client.taskcastDeleteTask(...keys)]),
    )
    this.createdAts.delete(taskId)
    const member = memberOf(taskId, createdAt)
    // Second, and best effort: a failure leaves stray entries, which the first poll past the
    // deadline and the first page that reads the index entry drop (they find no task),
    // rather than a task without its deadline or its entries.
    await Promise.all([
      this.clearDeadline(taskId).catch(() => undefined),
      member === undefined ? undefined : this.index.forget([member]).catch(() => undefined),
    ])
    return deleted === 1
  }

  async deleteEvents(taskId: string, eventIds?: string[]): Promise<number> {
    if (eventIds !== undefined && eventIds.length === 0) return 0
    return this.run(() =>
      this.client.taskcastDeleteEvents(
        ...this.keys(taskId),
        this.retentionMs,
        eventIds === undefined ? '1' : '0',
        ...(eventIds ?? []),
      ),
    )
  }

  async expire(taskId: string, seconds: number): Promise<void> {
    const ms = Math.max(0, Math.ceil(seconds * 1000))
    const member = await this.guessMember(taskId)
    await Promise.all([
      // When the index entries may become ghosts, for the prune of listTasks (see task-index.ts).
      // Taken before the script reads Redis' clock, so never later than the keys vanish; the
      // prune reads the task before it drops anything, so a wrong guess costs nothing.
      member === undefined ? undefined : this.index.expiresAt(member, Date.now() + ms).catch(() => undefined),
      this.run(() => this.client.taskcastExpireTask(...this.keys(taskId), ms)),
    ])
  }

  /**
   * One page of the task index (SPEC §21): sorted sets next to the tasks' keys, checked
   * against the tasks as they are read (see task-index.ts and the README, "Task index").
   */
  async listTasks(query: TaskIndexQuery): Promise<TaskIndexPage> {
    return this.index.list(query)
  }

  /**
   * Ids of tasks whose deadline is at or before `now` (ms), earliest first, at most `max`.
   * Every process polling gets the same ids; the engine's compare-and-set transition makes
   * sure only one of them times a task out.
   */
  async dueDeadlines(now: number, max: number): Promise<string[]> {
    if (max <= 0) return []
    return this.run(() => this.client.zrangebyscore(this.deadlines, '-inf', now, 'LIMIT', 0, max))
  }

  /** Forgets a task's deadline (the engine calls it once the task ended or is gone). */
  async clearDeadline(taskId: string): Promise<void> {
    await this.run(() => this.client.zrem(this.deadlines, taskId))
  }

  /** `ZADD NX`: an entry that exists keeps its time. */
  async outboxAdd(taskId: string, at: number): Promise<void> {
    await this.run(() => this.client.zadd(this.outbox, 'NX', at, taskId))
  }

  /** One `ZADD XX` for all of them: existing entries only. */
  async outboxTouch(taskIds: readonly string[], at: number): Promise<void> {
    if (taskIds.length === 0) return
    const scoreMembers = taskIds.flatMap((taskId) => [at, taskId])
    await this.run(() => this.client.zadd(this.outbox, 'XX', ...scoreMembers))
  }

  /** `ZRANGEBYSCORE … WITHSCORES LIMIT`: Redis orders equal scores by member, as the contract asks. */
  async outboxList(until: number, limit: number, offset = 0): Promise<OutboxEntry[]> {
    if (limit <= 0) return []
    const max = Number.isFinite(until) ? until : until > 0 ? '+inf' : '-inf'
    const flat = await this.run(() =>
      this.client.zrangebyscore(this.outbox, '-inf', max, 'WITHSCORES', 'LIMIT', offset, limit),
    )
    const entries: OutboxEntry[] = []
    for (let i = 0; i < flat.length; i += 2) entries.push({ taskId: flat[i]!, touchedAt: Number(flat[i + 1]) })
    return entries
  }

  /** Compare-and-set on the entry's score, in one script (outbox-claim-1.lua). */
  async outboxClaim(taskId: string, seenAt: number, at: number): Promise<boolean> {
    return (await this.run(() => this.client.taskcastOutboxClaim(this.outbox, taskId, seenAt, at))) === 1
  }

  async outboxRemove(taskId: string): Promise<void> {
    await this.run(() => this.client.zrem(this.outbox, taskId))
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping())
  }

  /** Closes the connection when the store opened it (`url`); an instance passed as `redis` stays open. */
  async close(): Promise<void> {
    await this.connection.close()
  }

  /** Idempotent: always the same member and score, `createdAt + ttl × 1000` (ms). */
  private async recordDeadline(task: Task): Promise<void> {
    const at = task.createdAt + task.ttl! * 1000
    await this.run(() => this.client.zadd(this.deadlines, at, task.id))
  }

  private keys(taskId: string) {
    return taskKeys(this.prefix, taskId)
  }

  /** The task's index member, from the `createdAt` this process saw last or else read from Redis. */
  private async guessMember(taskId: string): Promise<string | undefined> {
    const createdAt = this.createdAts.get(taskId)
    return createdAt === undefined ? this.index.memberOfStored(taskId) : taskIndexKey({ id: taskId, createdAt })
  }

  /** Sends a command only over a live connection, and reports failures as TaskcastErrors. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    await this.connection.ready()
    try {
      return await command()
    } catch (error) {
      throw toTaskcastError(error)
    }
  }

  private deliveryLeases: RedisDeliveryLeases | undefined

  /**
   * Webhook delivery leases and cursors (SPEC §10): two internal fields of the task hash per
   * delivery (so they go with the task), and the shared sorted set `deliveries` of the
   * deliveries that may have work. See redis-delivery-leases.ts and its scripts.
   */
  get deliveries(): RedisDeliveryLeases {
    return (this.deliveryLeases ??= new RedisDeliveryLeases(this.client, this.prefix, (command) => this.run(command)))
  }
}

/** The script argument of an `AppendExpectation`: the expected createdAt, as the task hash holds it ('' for none). */
function expectedCreatedAt(expect: AppendExpectation | undefined): string {
  return expect ? JSON.stringify(expect.createdAt) : ''
}
