// RedisBroadcastProvider: live events over Redis pub/sub, one subscriber connection per
// provider shared by all local subscribers, one SUBSCRIBE per task however many listen.
import type { BroadcastHandler, BroadcastProvider, TaskEvent } from '@taskcast/core'
import {
  closeClient,
  openSubscriber,
  untilReady,
  WriteConnection,
  type RedisClient,
  type RedisConnectionOptions,
} from './connection.js'
import { toTaskcastError } from './errors.js'
import { checkKeyPrefix, DEFAULT_KEY_PREFIX, liveChannel } from './keys.js'

/** The field a message adds to the event's JSON to name the provider that sent it. */
const ORIGIN_FIELD = '_origin'

export interface RedisBroadcastProviderOptions extends RedisConnectionOptions {
  /**
   * Prepended to every channel (`<prefix>live:{<taskId>}`); must not contain braces.
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
 * @example
 * ```ts
 * const broadcast = new RedisBroadcastProvider({ url: 'redis://127.0.0.1:6379' })
 * const off = broadcast.subscribe('task-1', (event) => console.log(event.index, event.type))
 * ```
 */
export class RedisBroadcastProvider implements BroadcastProvider {
  /** Called when a handler throws; the other handlers still run. */
  onHandlerError: (error: unknown) => void = (error) => console.error('[taskcast] broadcast handler failed', error)
  /** Called when the subscriber connection fails a (UN)SUBSCRIBE or receives a message that is not an event. */
  onError: (error: unknown) => void = (error) => console.error('[taskcast] redis broadcast error', error)

  private readonly prefix: string
  /** How this provider's messages begin: `{"_origin":"<random id>"`. */
  private readonly origin = `{"${ORIGIN_FIELD}":${JSON.stringify(globalThis.crypto.randomUUID())}`
  private readonly publisher: WriteConnection
  private readonly subscriber: RedisClient
  /** Handlers by channel; a channel is subscribed exactly while its set is non-empty. */
  private readonly handlers = new Map<string, Set<BroadcastHandler>>()
  /** Resolves when the channel's SUBSCRIBE is acknowledged. */
  private readonly subscribed = new Map<string, Promise<void>>()
  /** Catch-up callbacks of the subscribers that gave one. */
  private readonly resyncs = new Map<BroadcastHandler, () => void>()
  /** (UN)SUBSCRIBE commands not yet acknowledged. */
  private readonly pending = new Set<Promise<unknown>>()
  /** Settles once the subscriber connection has answered its first (UN)SUBSCRIBE; see {@link send}. */
  private firstAnswered: Promise<void> | undefined
  private closed = false

  constructor(options: RedisBroadcastProviderOptions) {
    this.prefix = checkKeyPrefix(options.keyPrefix ?? DEFAULT_KEY_PREFIX)
    this.publisher = new WriteConnection(options, 'RedisBroadcastProvider')
    this.subscriber = openSubscriber(options)
    // ioredis reconnects by itself; a listener keeps connection errors from being logged as unhandled.
    this.subscriber.on('error', () => {})
    this.subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message))
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
   * Delivers `event` to this provider's own subscribers of the task at once (in publish
   * order, before the returned promise settles), then publishes it for other processes.
   * The message carries this provider's origin so that its echo is not delivered twice.
   */
  async publish(taskId: string, event: TaskEvent): Promise<void> {
    const channel = liveChannel(this.prefix, taskId)
    const json = JSON.stringify(event)
    const local = this.handlers.get(channel)
    if (local) this.deliver(local, JSON.parse(json) as TaskEvent)
    await this.publisher.ready()
    try {
      await this.publisher.client.publish(channel, json === '{}' ? `${this.origin}}` : `${this.origin},${json.slice(1)}`)
    } catch (error) {
      throw toTaskcastError(error)
    }
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
    this.resyncs.clear()
    await Promise.all([closeClient(this.subscriber), this.publisher.close()])
  }

  private dispatch(channel: string, message: string): void {
    // Our own publish, already delivered locally.
    if (message.startsWith(this.origin)) return
    const set = this.handlers.get(channel)
    if (!set) return
    let event: TaskEvent & { [ORIGIN_FIELD]?: string }
    try {
      event = JSON.parse(message) as TaskEvent
    } catch (error) {
      this.onError(error)
      return
    }
    delete event[ORIGIN_FIELD]
    this.deliver(set, event)
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
