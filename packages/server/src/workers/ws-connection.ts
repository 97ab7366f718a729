// One WebSocket worker's state (SPEC §18, push mode): who it is, what it was offered, declined
// and holds. The hub decides; this only keeps the books.
import type { WorkerIdentity } from '@taskcast/core'
import type { ServerMessage } from './ws-messages.js'

/** How many withdrawn offers a connection remembers, to answer a late accept with `taken`. */
const WITHDRAWN_KEPT = 1_000

/** The socket as the hub needs it, whatever the runtime. */
export interface WorkerSocket {
  send(message: ServerMessage): void
  close(code: number, reason: string): void
}

export class WsWorkerConnection {
  /** Offered and not yet answered. */
  readonly offered = new Set<string>()
  /** Declined: never offered to this connection again. */
  readonly declined = new Set<string>()
  /** Accepts under way (an offer no longer, not held yet). */
  readonly accepting = new Set<string>()
  /** Tasks it holds, with the `assignedTo.at` of its assignment (to give back only its own). */
  readonly held = new Map<string, { status: 'assigned' | 'running'; at: number }>()
  /** Offers another worker won, or that ended, before this one answered. */
  private readonly withdrawn = new Set<string>()
  readonly connectedAt = Date.now()
  closed = false

  constructor(
    readonly worker: WorkerIdentity,
    readonly capacity: number,
    private readonly socket: WorkerSocket,
  ) {}

  /** Offers it may still get: capacity less what it holds, is accepting or was offered. */
  get room(): number {
    return this.capacity - this.held.size - this.accepting.size - this.offered.size
  }

  count(status: 'assigned' | 'running'): number {
    let n = 0
    for (const held of this.held.values()) if (held.status === status) n++
    return n
  }

  /** Whether `taskId` is anything to this connection already (so it is not offered again). */
  knows(taskId: string): boolean {
    return this.offered.has(taskId) || this.declined.has(taskId) || this.accepting.has(taskId) || this.held.has(taskId)
  }

  wasWithdrawn(taskId: string): boolean {
    return this.withdrawn.has(taskId)
  }

  /**
   * The offer is gone (another worker won it, or it is no longer pending): tell the worker once.
   * `refused`: its own accept lost, so it hears `taken` although the offer was already answered.
   */
  withdraw(taskId: string, refused = false): void {
    if (!this.offered.delete(taskId) && !refused) return
    this.withdrawn.add(taskId)
    if (this.withdrawn.size > WITHDRAWN_KEPT) this.withdrawn.delete(this.withdrawn.values().next().value!)
    this.send({ type: 'taken', taskId })
  }

  send(message: ServerMessage): void {
    if (!this.closed) this.socket.send(message)
  }

  /** The socket closed from the other side. */
  markClosed(): void {
    this.closed = true
  }

  close(code: number, reason: string): void {
    if (this.closed) return
    this.closed = true
    this.socket.close(code, reason)
  }
}
