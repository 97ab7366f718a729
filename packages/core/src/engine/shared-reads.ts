// Reads of one key that overlap in time share one trip to the store and one parsed answer: a
// crowd connecting to a task at once (a page shared in a chat, a dashboard reopened) costs one
// read of its log, whose events every reader then walks without copying.

export class SharedReads<V> {
  private readonly pending = new Map<string, Promise<V>>()

  /** `read()`'s answer for `key`, or the one already under way; callers must not mutate it. */
  get(key: string, read: () => Promise<V>): Promise<V> {
    let answer = this.pending.get(key)
    if (!answer) {
      answer = read().finally(() => this.pending.delete(key))
      this.pending.set(key, answer)
    }
    return answer
  }
}
