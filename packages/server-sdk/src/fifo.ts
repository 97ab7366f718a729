// A first-in first-out queue whose `take` costs what it takes, not what is left: a producer can
// hold many thousands of events that wait for room in the window (Array#splice(0, n) would move
// all of them on every batch).

export class Fifo<T> {
  private items: T[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  /** The first item, left in the queue. */
  peek(): T | undefined {
    return this.items[this.head]
  }

  /** Removes and returns the first item. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined
    const item = this.items[this.head++]!
    // Drop the consumed prefix once it is most of the array.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Removes and returns every item. */
  drain(): T[] {
    const rest = this.items.slice(this.head)
    this.items = []
    this.head = 0
    return rest
  }
}
