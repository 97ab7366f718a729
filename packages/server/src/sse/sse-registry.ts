// The SSE connections an app has open, so that deleting a task or closing the app can end them.
import { withTimeout } from '@taskcast/core/internal'
import type { SseConnection } from './sse-connection.js'

export class SseRegistry {
  private readonly byTask = new Map<string, Set<SseConnection>>()
  private closing = false

  /** True once `closeAll` started: new streams are refused. */
  get isClosing(): boolean {
    return this.closing
  }

  get size(): number {
    let total = 0
    for (const set of this.byTask.values()) total += set.size
    return total
  }

  add(taskId: string, connection: SseConnection): void {
    let set = this.byTask.get(taskId)
    if (!set) {
      set = new Set()
      this.byTask.set(taskId, set)
    }
    set.add(connection)
  }

  delete(taskId: string, connection: SseConnection): void {
    const set = this.byTask.get(taskId)
    if (!set?.delete(connection)) return
    if (set.size === 0) this.byTask.delete(taskId)
  }

  /**
   * Ends every stream cleanly: nothing more is sent and each response ends once the client
   * has read what was already queued. A client that has not read it within `graceMs` is dropped.
   */
  async closeAll(graceMs: number): Promise<void> {
    this.closing = true
    const connections = [...this.byTask.values()].flatMap((set) => [...set])
    for (const connection of connections) connection.end('shutdown')
    await Promise.all(
      connections.map(async (connection) => {
        const late = await withTimeout(connection.drained().then(() => false), graceMs, true)
        if (late) connection.abort('shutdown')
      }),
    )
  }
}
