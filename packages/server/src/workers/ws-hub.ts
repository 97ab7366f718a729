// The WebSocket workers connected to this process (SPEC §18, push mode). Each is offered the
// pending tasks it may take, oldest first, while what it holds and was offered stays under its
// capacity; the first accept wins through the engine's compare-and-set, and the others hear
// `taken`. The hub follows the tasks it offered and that its workers hold through the engine's
// feed of every task (a slow poll re-reads them, for a broadcast that lost a message).
import {
  isTerminalStatus,
  STATUS_EVENT_TYPE,
  TaskcastError,
  type StatusEventData,
  type Task,
  type TaskEngine,
  type TaskEvent,
  type TaskStatus,
  type WorkerIdentity,
  type WsWorkerListing,
} from '@taskcast/core'
import { taskView } from '../task-view.js'
import { offersWork, WORKER_POLL_MS } from './offers-work.js'
import type { WsWorkerConnection } from './ws-connection.js'


export class WsWorkerHub {
  private readonly connections = new Set<WsWorkerConnection>()
  private readonly filling = new Set<WsWorkerConnection>()
  private readonly refill = new Set<WsWorkerConnection>()
  private unwatch: (() => void) | undefined
  private poll: ReturnType<typeof setInterval> | undefined
  private sweeping = false
  private closing = false
  /** Told of each task assigned to a worker here (the metrics time the wait from its creation). */
  onAssigned: ((task: Task) => void) | undefined

  constructor(
    private readonly engine: TaskEngine,
    private readonly reportError: (error: unknown) => void,
  ) {}

  get size(): number {
    return this.connections.size
  }

  list(): WsWorkerListing[] {
    return [...this.connections].map((conn) => ({
      ...conn.worker,
      mode: 'ws' as const,
      capacity: conn.capacity,
      assigned: conn.count('assigned'),
      running: conn.count('running'),
      connectedAt: conn.connectedAt,
    }))
  }

  /**
   * Adds a worker that said hello and starts offering it tasks.
   * @throws TaskcastError `VALIDATION_ERROR` for a bad worker (the engine's rules)
   */
  async join(conn: WsWorkerConnection): Promise<void> {
    // Lists nothing: checks the worker the engine's way, as a pull would.
    await this.engine.pendingTasksFor(conn.worker, 0)
    if (this.closing) return conn.close(1001, 'server closing')
    if (conn.closed) return
    this.connections.add(conn)
    this.listen()
    this.fill(conn)
  }

  /** The worker's socket closed: its `assigned` tasks go back at once, its running ones stay. */
  async leave(conn: WsWorkerConnection): Promise<void> {
    if (!this.connections.delete(conn)) return
    if (this.connections.size === 0) this.stopListening()
    await Promise.all([...conn.held].map(([taskId, held]) => this.giveBack(conn.worker, taskId, held.at)))
  }

  /**
   * Assigns an offered task to the worker, or tells it `taken`.
   * @throws TaskcastError `VALIDATION_ERROR` for a task never offered to it
   */
  async accept(conn: WsWorkerConnection, taskId: string): Promise<void> {
    if (!conn.offered.has(taskId)) {
      if (conn.wasWithdrawn(taskId)) return conn.send({ type: 'taken', taskId })
      throw new TaskcastError('VALIDATION_ERROR', `task ${taskId} is not on offer to this worker (never offered, or already answered)`)
    }
    conn.offered.delete(taskId)
    conn.accepting.add(taskId)
    try {
      const task = await this.engine.assignTask(taskId, conn.worker).catch((error: unknown) => {
        // Deleted since it was offered: as good as taken.
        if (TaskcastError.isInstance(error) && error.code === 'TASK_NOT_FOUND') return null
        throw error
      })
      if (!task) return conn.withdraw(taskId, true)
      const at = task.assignedTo!.at
      if (!this.connections.has(conn)) return await this.giveBack(conn.worker, taskId, at)
      conn.held.set(taskId, { status: 'assigned', at })
      conn.send({ type: 'assigned', task: taskView(task) })
      for (const other of this.connections) if (other !== conn) other.withdraw(taskId)
      this.onAssigned?.(task)
    } finally {
      conn.accepting.delete(taskId)
      this.fill(conn)
    }
  }

  /** @throws TaskcastError `VALIDATION_ERROR` for a task not on offer to it */
  decline(conn: WsWorkerConnection, taskId: string): void {
    if (!conn.offered.delete(taskId)) {
      if (conn.wasWithdrawn(taskId)) return
      throw new TaskcastError('VALIDATION_ERROR', `task ${taskId} is not on offer to this worker`)
    }
    conn.declined.add(taskId)
    this.fill(conn)
  }

  /** Gives back every worker's assigned tasks and closes its socket (1001: the server is going away). */
  async close(): Promise<void> {
    this.closing = true
    const all = [...this.connections]
    await Promise.all(all.map((conn) => this.leave(conn)))
    for (const conn of all) conn.close(1001, 'server closing')
  }

  private listen(): void {
    if (this.unwatch === undefined && this.engine.canWatchEvents) {
      this.unwatch = this.engine.watchEvents((event) => this.onEvent(event))
    }
    this.poll ??= setInterval(() => void this.sweep(), WORKER_POLL_MS)
    ;(this.poll as { unref?: () => void }).unref?.()
  }

  private stopListening(): void {
    this.unwatch?.()
    this.unwatch = undefined
    clearInterval(this.poll)
    this.poll = undefined
  }

  private onEvent(event: TaskEvent): void {
    try {
      if (event.type === STATUS_EVENT_TYPE) {
        const { status } = event.data as StatusEventData
        for (const conn of this.connections) this.follow(conn, event.taskId, status)
      }
      if (offersWork(event)) this.fillAll()
    } catch (error) {
      this.reportError(error)
    }
  }

  /** What a task's status (`null`: gone) means to one connection's offers and load. */
  private follow(conn: WsWorkerConnection, taskId: string, status: TaskStatus | null): void {
    if (status !== 'pending') conn.withdraw(taskId)
    const held = conn.held.get(taskId)
    if (!held) return
    if (status === null || status === 'pending' || isTerminalStatus(status)) {
      conn.held.delete(taskId)
      this.fill(conn)
    } else if (status !== 'assigned') {
      // Running, or blocked or paused on the way: the worker still has it on its hands.
      held.status = 'running'
    }
  }

  /** A lost broadcast message costs at most a poll: offers and held tasks are read again. */
  private async sweep(): Promise<void> {
    if (this.sweeping) return
    this.sweeping = true
    try {
      for (const conn of [...this.connections]) {
        for (const taskId of [...conn.offered, ...conn.held.keys()]) {
          const task = await this.engine.getTask(taskId)
          if (this.connections.has(conn)) this.follow(conn, taskId, task?.status ?? null)
        }
      }
      this.fillAll()
    } catch (error) {
      this.reportError(error)
    } finally {
      this.sweeping = false
    }
  }

  private fillAll(): void {
    for (const conn of this.connections) this.fill(conn)
  }

  /** Offers `conn` what it has room for; one round at a time per connection, a wake during it runs another. */
  private fill(conn: WsWorkerConnection): void {
    if (!this.connections.has(conn)) return
    if (this.filling.has(conn)) {
      this.refill.add(conn)
      return
    }
    this.filling.add(conn)
    void this.offerTo(conn)
      .catch((error: unknown) => this.reportError(error))
      .finally(() => {
        this.filling.delete(conn)
        if (this.refill.delete(conn)) this.fill(conn)
      })
  }

  private async offerTo(conn: WsWorkerConnection): Promise<void> {
    if (conn.room <= 0) return
    const tasks = await this.engine.pendingTasksFor(conn.worker, conn.room, (taskId) => conn.knows(taskId))
    for (const task of tasks) {
      if (!this.connections.has(conn) || conn.room <= 0) return
      if (conn.knows(task.id)) continue
      conn.offered.add(task.id)
      conn.send({ type: 'offer', task: taskView(task) })
    }
  }

  /** Back to `pending`, only if it is still this worker's assignment (a lapsed lease may have given it to another). */
  private async giveBack(worker: WorkerIdentity, taskId: string, at: number): Promise<void> {
    try {
      await this.engine.releaseTask(taskId, 'worker-lost', { workerId: worker.workerId, at })
    } catch (error) {
      this.reportError(error)
    }
  }
}
