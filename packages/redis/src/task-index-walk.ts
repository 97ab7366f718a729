// Walks sorted sets of the task index downwards, a chunk of members at a time: several status
// sets merged into one descending order, as if they were one set.
import type { TaskStatus } from '@taskcast/core'

/** `ZREVRANGEBYLEX set max min LIMIT 0 count` (Redis 2.8+; `ZRANGE … BYLEX REV` would need 6.2). */
export type LexRangeReader = (set: string, max: string, min: string, count: number) => Promise<string[]>

/** One index set the walk reads: its key, and the status of its tasks (none: the set of all tasks). */
export interface IndexSet {
  key: string
  status: TaskStatus | undefined
}

/** A member (`taskIndexKey`) the walk gave, with the set it came from. */
export interface IndexCandidate {
  member: string
  set: IndexSet
}

/** Members one ZRANGE reads at least / at most. */
const MIN_CHUNK = 32
const MAX_CHUNK = 1_000

/**
 * Redis orders members by their bytes: UTF-8 byte order is code point order, which JavaScript's
 * `<` (UTF-16 code units) differs from once a member holds characters beyond U+FFFF.
 */
function compareLikeRedis(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/** One set's members below what was read so far; `buffer[at]` is the next to give. */
class SetCursor {
  private buffer: string[] = []
  private at = 0
  private exhausted = false

  constructor(
    readonly set: IndexSet,
    private max: string,
    private readonly min: string,
  ) {}

  get head(): string | undefined {
    return this.buffer[this.at]
  }

  get needsRead(): boolean {
    return this.at >= this.buffer.length && !this.exhausted
  }

  async read(range: LexRangeReader, count: number): Promise<void> {
    this.buffer = await range(this.set.key, this.max, this.min, count)
    this.at = 0
    this.exhausted = this.buffer.length < count
    if (this.buffer.length > 0) this.max = `(${this.buffer[this.buffer.length - 1]}`
  }

  advance(): void {
    this.at++
  }
}

export class IndexWalk {
  private readonly cursors: SetCursor[]

  /** Members strictly below `below` and at or above `atLeast` (see core's `taskIndexBounds`). */
  constructor(
    private readonly range: LexRangeReader,
    sets: readonly IndexSet[],
    bounds: { below?: string; atLeast?: string },
  ) {
    const max = bounds.below === undefined ? '+' : `(${bounds.below}`
    const min = bounds.atLeast === undefined ? '-' : `[${bounds.atLeast}`
    this.cursors = sets.map((set) => new SetCursor(set, max, min))
  }

  /** The next `count` members, newest first; fewer only when the sets hold no more. */
  async take(count: number): Promise<IndexCandidate[]> {
    const taken: IndexCandidate[] = []
    const chunk = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, count))
    while (taken.length < count) {
      const empty = this.cursors.filter((cursor) => cursor.needsRead)
      if (empty.length > 0) await Promise.all(empty.map((cursor) => cursor.read(this.range, chunk)))
      let best: SetCursor | undefined
      for (const cursor of this.cursors) {
        const head = cursor.head
        if (head !== undefined && (best === undefined || compareLikeRedis(head, best.head!) > 0)) best = cursor
      }
      if (best === undefined) break
      taken.push({ member: best.head!, set: best.set })
      best.advance()
    }
    return taken
  }
}
