// The `createdAt` of tasks this process saw lately: a transition and `expire()` need a task's
// index member before their script runs, and a guess saves reading it first. Only ever a
// guess (another process may delete the task and create a new one with the same id): the
// writers correct it from the task their script returns.

/** Tasks remembered at most; the oldest entry goes first. */
const CAPACITY = 10_000

export class CreatedAtCache {
  private readonly entries = new Map<string, number>()

  get(taskId: string): number | undefined {
    return this.entries.get(taskId)
  }

  set(taskId: string, createdAt: number): void {
    // Re-inserted, so a task in use stays at the young end of the Map's insertion order.
    this.entries.delete(taskId)
    this.entries.set(taskId, createdAt)
    if (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value!)
  }

  delete(taskId: string): void {
    this.entries.delete(taskId)
  }
}
