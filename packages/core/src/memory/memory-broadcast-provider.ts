// In-process broadcast: handlers are called synchronously, in publish order.
import type { BroadcastHandler, BroadcastProvider } from '../storage/broadcast-provider.js'
import type { TaskEvent } from '../types.js'

export class MemoryBroadcastProvider implements BroadcastProvider {
  private readonly handlers = new Map<string, Set<BroadcastHandler>>()
  /** Handlers of every task's events (`subscribeAll`). */
  private readonly globalHandlers = new Set<BroadcastHandler>()
  /** Called when a handler throws; the other handlers still run. */
  onHandlerError: (error: unknown) => void = (error) => console.error('[taskcast] broadcast handler failed', error)

  async publish(taskId: string, event: TaskEvent): Promise<void> {
    this.dispatch(taskId, event)
  }

  /** Synchronous publish, for callers on the hot path that need no promise. */
  dispatch(taskId: string, event: TaskEvent): void {
    const set = this.handlers.get(taskId)
    if (set) this.deliver(set, event)
    if (this.globalHandlers.size > 0) this.deliver(this.globalHandlers, event)
  }

  subscribe(taskId: string, handler: BroadcastHandler): () => void {
    let set = this.handlers.get(taskId)
    if (!set) {
      set = new Set()
      this.handlers.set(taskId, set)
    }
    // Wrapped so one function subscribed twice counts (and unsubscribes) twice.
    const entry: BroadcastHandler = (event) => handler(event)
    set.add(entry)
    return () => {
      const current = this.handlers.get(taskId)
      if (!current?.delete(entry)) return
      if (current.size === 0) this.handlers.delete(taskId)
    }
  }

  subscribeAll(handler: BroadcastHandler): () => void {
    // Wrapped so one function subscribed twice counts (and unsubscribes) twice.
    const entry: BroadcastHandler = (event) => handler(event)
    this.globalHandlers.add(entry)
    return () => {
      this.globalHandlers.delete(entry)
    }
  }

  /** Number of live handlers for a task (or for all tasks): lets tests prove subscriptions are released. */
  listenerCount(taskId?: string): number {
    if (taskId !== undefined) return this.handlers.get(taskId)?.size ?? 0
    let total = 0
    for (const set of this.handlers.values()) total += set.size
    return total
  }

  async close(): Promise<void> {
    this.handlers.clear()
    this.globalHandlers.clear()
  }

  private deliver(set: Set<BroadcastHandler>, event: TaskEvent): void {
    for (const handler of set) {
      try {
        handler(event)
      } catch (error) {
        this.onHandlerError(error)
      }
    }
  }
}
