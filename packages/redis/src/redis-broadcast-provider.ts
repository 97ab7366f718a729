// RedisBroadcastProvider: live events over Redis pub/sub, one subscriber connection per
// provider shared by all local subscribers, one SUBSCRIBE per task however many listen, one
// PSUBSCRIBE for every task's events however many global handlers listen.
import type { BroadcastHandler, BroadcastProvider, TaskEvent, WorkerListing } from '@taskcast/core'
import {
  closeClient,
  openSubscriber,
  untilReady,
  WriteConnection,
  type RedisClient,
  type RedisConnectionOptions,
} from './connection.js'
import { toTaskcastError } from './errors.js'
import { checkKeyPrefix, DEFAULT_KEY_PREFIX, liveChannel, liveChannelPattern } from './keys.js'
import { ProcessQuestions } from './process-questions.js'

/** The field a message adds to the event's JSON to name the provider that sent it. */
const ORIGIN_FIELD = '_origin'
/** A message of several events (`publishEvents`) carries them in order under this field. */
const BATCH_FIELD = '_events'

export interface RedisBroadcastProviderOptions extends RedisConnectionOptions {
  /**
   * Prepended to every channel (`<prefix>live:{<taskId>}`, `<prefix>control`); must not contain braces.
   * @defaultValue 'taskcast:'
   */
  keyPrefix?: string
}

/**
 * Fans events out to every process subscribed to a task (SPEC §6). Publishing uses the
 * write connection (`redis`, or one opened from `url`); subscribing uses a connection of
 * its own (a `duplicate()` of `redis`, or a second one from `url`), which ioredis
 * reconnects and re-subscribes after a Redis restart. Subscribers in the publishing
 * process get the event directly, before `publish` settles, as with the memory provider;
 * other processes get it through Redis. Redis pub/sub is at-most-once: messages published
 * while a subscriber is disconnected are lost, and readers fill the gap from the
 * short-term store.
 *
 * Global handlers (`subscribeAll`) share one PSUBSCRIBE of every task's channel, so publishing
 * costs nothing extra. Subscriber counts and connected workers are asked for on a control channel and answered on
 * the asker's own reply channel.
 *
 * @example
 * ```ts
 * const broadcast = new RedisBroadcastProvider({ url: 'redis://127.0.0.1:6379' })
 * const off = broadcast.subscribe('task-1', (event) => console.log(event.index, event.type))
 * ```
 */
export class RedisBroadcastProvider implements BroadcastProvider {
  /** Called when a handler throws; the other handlers still run. */
  onHandlerError: (error: unknown) => void = (error) => console.error('[taskcast] broadcast handler failed', error)
  /**
   * Called when the subscriber connection fails a (UN)SUBSCRIBE or receives a message that is
   * not an event (or not a count question or answer), and when asking or answering a count fails.
   */
  onError: (error: unknown) => void = (error) => console.error('[taskcast] redis broadcast error', error)

  private readonly prefix: string
  private readonly pattern: string
  private readonly id = globalThis.crypto.randomUUID()
  /** How this provider's messages begin: `{"_origin":"<random id>"`. */
  private readonly origin = `{"${ORIGIN_FIELD}":${JSON.stringify(this.id)}`
  private readonly publisher: WriteConnection
  private readonly subscriber: RedisClient
  /** Handlers by channel; a channel is subscribed exactly while its set is non-empty. */
  private readonly handlers = new Map<string, Set<BroadcastHandler>>()
  /** Resolves when the channel's SUBSCRIBE is acknowledged. */
  private readonly subscribed = new Map<string, Promise<void>>()
  /** Handlers of every task's events; the pattern is subscribed exactly while the set is non-empty. */
  private readonly globalHandlers = new Set<BroadcastHandler>()
  /**
   * The event of the last message, kept for the other delivery of the same PUBLISH: a channel
   * subscribed both by name and by pattern gets a `message` and a `pmessage`, one after the other.
   */
  private lastDecoded: { message: string; events: readonly TaskEvent[]; by: 'channel' | 'pattern' } | undefined
  private readonly questions: ProcessQuestions
  /** Catch-up callbacks of the subscribers that gave one. */
  private readonly resyncs = new Map<BroadcastHandler, () => void>()
  /** (UN)SUBSCRIBE commands not yet acknowledged. */
  private readonly pending = new Set<Promise<unknown>>()
  /** Settles once the subscriber connection has answered its first (UN)SUBSCRIBE; see {@link send}. */
  private firstAnswered: Promise<void> | undefined
  private closed = false

  constructor(options: RedisBroadcastProviderOptions) {
    this.prefix = checkKeyPrefix(options.keyPrefix ?? DEFAULT_KEY_PREFIX)
    this.pattern = liveChannelPattern(this.prefix)
    this.publisher = new WriteConnection(options, 'RedisBroadcastProvider')
    this.subscriber = openSubscriber(options)
    this.questions = new ProcessQuestions(this.prefix, this.id, {
      writable: () => this.publisher.ready(),
      publish: (channel, message) => this.publishRaw(channel, message),
      subscribe: (channel) => (this.closed ? Promise.resolve() : this.send(() => this.subscriber.subscribe(channel))),
      nodeLocalReceivers: this.publisher.client.isCluster,
      onError: (error) => this.onError(error),
      onHandlerError: (error) => this.onHandlerError(error),
    })
    // ioredis reconnects by itself; a listener keeps connection errors from being logged as unhandled.
    this.subscriber.on('error', () => {})
    this.subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message))
    this.subscriber.on('pmessage', (pattern: string, channel: string, message: string) => {
      if (pattern === this.pattern) this.dispatchAll(channel, message)
    })
    // After a reconnect ioredis re-subscribes; messages published meanwhile are gone, so once
    // the re-subscriptions are acknowledged (a PING reply comes after them) readers catch up.
    let connectedBefore = false
    this.subscriber.on('ready', () => {
      if (!connectedBefore) {
        connectedBefore = true
        return
      }
      this.subscriber.ping().then(
        () => this.resyncAll(),
        () => {},
      )
    })
  }

  /**
   * Delivers `event` to this provider's own subscribers of the task and global handlers at
   * once (in publish order, before the returned promise settles), then publishes it for other
   * processes. The message carries this provider's origin so that its echo is not delivered twice.
   */
  async publish(taskId: string, event: TaskEvent): Promise<void> {
    const channel = liveChannel(this.prefix, taskId)
    const json = JSON.stringify(event)
    const local = this.handlers.get(channel)
    if (local || this.globalHandlers.size > 0) {
      const copy = JSON.parse(json) as TaskEvent
      if (local) this.deliver(local, copy)
      this.deliver(this.globalHandlers, copy)
    }
    await this.publishRaw(channel, json === '{}' ? `${this.origin}}` : `${this.origin},${json.slice(1)}`)
  }

  /**
   * `publish` of each event in turn, as one message: one PUBLISH, and one parse in each
   * receiving process, for the batch.
   */
  async publishEvents(taskId: string, events: readonly TaskEvent[]): Promise<void> {
    if (events.length === 1) return this.publish(taskId, events[0]!)
    const channel = liveChannel(this.prefix, taskId)
    const json = `[${events.map((event) => JSON.stringify(event)).join(',')}]`
    const local = this.handlers.get(channel)
    if (local || this.globalHandlers.size > 0) {
      for (const copy of JSON.parse(json) as TaskEvent[]) {
        if (local) this.deliver(local, copy)
        this.deliver(this.globalHandlers, copy)
      }
    }
    await this.publishRaw(channel, `${this.origin},"${BATCH_FIELD}":${json}}`)
  }

  subscribe(taskId: string, handler: BroadcastHandler, onResync?: () => void): () => void {
    if (this.closed) return () => {}
    const channel = liveChannel(this.prefix, taskId)
    let set = this.handlers.get(channel)
    if (!set) {
      set = new Set()
      this.handlers.set(channel, set)
      this.subscribed.set(channel, this.send(() => this.subscriber.subscribe(channel)))
    }
    // Wrapped so one function subscribed twice counts (and unsubscribes) twice.
    const entry: BroadcastHandler = (event) => handler(event)
    set.add(entry)
    if (onResync) {
      this.resyncs.set(entry, onResync)
      // Events published before the SUBSCRIBE took effect reach no one: catch up once it has.
      void this.subscribed.get(channel)?.then(() => {
        if (this.resyncs.has(entry)) onResync()
      })
    }
    return () => {
      const current = this.handlers.get(channel)
      if (!current?.delete(entry)) return
      this.resyncs.delete(entry)
      if (current.size > 0) return
      this.handlers.delete(channel)
      this.subscribed.delete(channel)
      if (!this.closed) void this.send(() => this.subscriber.unsubscribe(channel))
    }
  }

  /**
   * Registers `handler` for every task's events, from every process (deletion messages
   * included), with one PSUBSCRIBE shared by all global handlers.
   */
  subscribeAll(handler: BroadcastHandler): () => void {
    if (this.closed) return () => {}
    if (this.globalHandlers.size === 0) void this.send(() => this.subscriber.psubscribe(this.pattern))
    // Wrapped so one function subscribed twice counts (and unsubscribes) twice.
    const entry: BroadcastHandler = (event) => handler(event)
    this.globalHandlers.add(entry)
    return () => {
      if (!this.globalHandlers.delete(entry) || this.globalHandlers.size > 0) return
      if (!this.closed) void this.send(() => this.subscriber.punsubscribe(this.pattern))
    }
  }

  /** Answers other processes' `countElsewhere` with `count` (the latest function given is used). */
  serveSubscriberCounts(count: (taskId: string) => number): void {
    this.questions.serveCounts(count)
  }

  /**
   * Asks every other process on this Redis; never rejects (a Redis failure is reported through
   * `onError` and the answers so far, or 0, are the result). On one node it resolves as soon as
   * every receiver of the question answered; on Redis Cluster it waits for `timeoutMs`.
   */
  countElsewhere(taskId: string, timeoutMs: number): Promise<number> {
    return this.questions.countElsewhere(taskId, timeoutMs)
  }

  /** Answers other processes' `workersElsewhere` with `list` (the latest function given is used). */
  serveWorkers(list: () => WorkerListing[]): void {
    this.questions.serveWorkers(list)
  }

  /** Asks every other process on this Redis which workers it serves; never rejects, as `countElsewhere`. */
  workersElsewhere(timeoutMs: number): Promise<WorkerListing[]> {
    return this.questions.workersElsewhere(timeoutMs)
  }

  /**
   * Resolves once both connections are up and every SUBSCRIBE and UNSUBSCRIBE issued so
   * far (including ioredis' re-subscription after a reconnect) is acknowledged by Redis:
   * from then on, events published anywhere reach this provider's subscribers.
   */
  async ready(): Promise<void> {
    await Promise.allSettled([...this.pending])
    // Redis answers a connection's commands in order, so the PING reply comes after the
    // acknowledgements of every (re-)subscription sent before it.
    await Promise.all([this.subscriber.ping(), untilReady(this.publisher.client)])
  }

  /** Ends every subscription and closes the connections Taskcast opened. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.handlers.clear()
    this.globalHandlers.clear()
    this.resyncs.clear()
    this.questions.close()
    await Promise.all([closeClient(this.subscriber), this.publisher.close()])
  }

  private async publishRaw(channel: string, message: string): Promise<number> {
    await this.publisher.ready()
    try {
      return await this.publisher.client.publish(channel, message)
    } catch (error) {
      throw toTaskcastError(error)
    }
  }

  private dispatch(channel: string, message: string): void {
    if (this.questions.receive(channel, message)) return
    // Our own publish, already delivered locally.
    if (message.startsWith(this.origin)) return
    const set = this.handlers.get(channel)
    if (!set) return
    for (const event of this.decode(message, 'channel', this.globalHandlers.size > 0)) this.deliver(set, event)
  }

  private dispatchAll(channel: string, message: string): void {
    if (message.startsWith(this.origin) || this.globalHandlers.size === 0) return
    for (const event of this.decode(message, 'pattern', this.handlers.has(channel))) this.deliver(this.globalHandlers, event)
  }

  /**
   * The events of a message (one, or a batch's), parsed once for both deliveries of one PUBLISH
   * (none, reported once, when it is not JSON). `keep` says whether the other delivery may follow.
   */
  private decode(message: string, by: 'channel' | 'pattern', keep: boolean): readonly TaskEvent[] {
    const last = this.lastDecoded
    this.lastDecoded = undefined
    if (last && last.by !== by && last.message === message) return last.events
    let events: readonly TaskEvent[] = []
    try {
      const parsed = JSON.parse(message) as TaskEvent & { [ORIGIN_FIELD]?: string; [BATCH_FIELD]?: TaskEvent[] }
      const batch = parsed[BATCH_FIELD]
      if (Array.isArray(batch)) events = batch
      else {
        delete parsed[ORIGIN_FIELD]
        events = [parsed]
      }
    } catch (error) {
      this.onError(error)
    }
    if (keep) this.lastDecoded = { message, events, by }
    return events
  }

  private deliver(set: Set<BroadcastHandler>, event: TaskEvent): void {
    // One object for all handlers, frozen so that no handler can change what the next one sees.
    Object.freeze(event)
    for (const handler of set) {
      try {
        handler(event)
      } catch (error) {
        this.onHandlerError(error)
      }
    }
  }

  private resyncAll(): void {
    for (const [entry, onResync] of this.resyncs) {
      if (!this.resyncs.has(entry)) continue
      try {
        onResync()
      } catch (error) {
        this.onHandlerError(error)
      }
    }
  }

  /**
   * Sends an (UN)SUBSCRIBE, the first one alone. ioredis opens a Cluster's subscriber connection
   * lazily, with that first command, and writes a SUBSCRIBE even during the connection's
   * handshake; its ready check (an INFO) then finds the connection in subscriber mode and kills
   * it, failing the commands with it. Once the first command is answered, the handshake is over.
   */
  private send(command: () => Promise<unknown>): Promise<void> {
    if (this.firstAnswered) return this.track(this.firstAnswered.then(command))
    this.firstAnswered = this.track(command())
    return this.firstAnswered
  }

  private track(command: Promise<unknown>): Promise<void> {
    const tracked = command.then(
      () => {},
      (error: unknown) => {
        if (!this.closed) this.onError(error)
      },
    )
    this.pending.add(tracked)
    void tracked.finally(() => this.pending.delete(tracked))
    return tracked
  }
}
