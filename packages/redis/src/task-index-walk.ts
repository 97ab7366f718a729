// Walks sorted sets of the task index, downwards (newest first) or upwards (oldest first), a
// chunk of members at a time: several status sets merged into one order, as if they were one set.
import type { TaskStatus } from '@taskcast/core'
import type { KeyBound } from '@taskcast/core/internal'

/**
 * Up to `count` members of `set` from `from` towards `to` (Redis lex-range bounds), in the
 * walk's order: `ZRANGEBYLEX set from to LIMIT 0 count` upwards, `ZREVRANGEBYLEX` downwards
 * (Redis 2.8.9+; `ZRANGE … BYLEX [REV]` would need 6.2).
 */
export type LexRangeReader = (set: string, from: string, to: string, count: number) => Promise<string[]>

/** One index set the walk reads: its key, and the status of its tasks (none: the set of all tasks). */
export interface IndexSet {
  key: string
  status: TaskStatus | undefined
}

/** A member (`taskIndexKey`) the walk gave, with every set it came from (a task mid-transition is in two). */
export interface IndexCandidate {
  member: string
  sets: IndexSet[]
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

/** A key bound as a Redis lex-range bound; `open` when there is none. */
function lexBound(bound: KeyBound | undefined, open: '-' | '+'): string {
  return bound === undefined ? open : `${bound.inclusive ? '[' : '('}${bound.key}`
}

/** One set's members past what was read so far; `buffer[at]` is the next to give. */
class SetCursor {
  private buffer: string[] = []
  private at = 0
  private exhausted = false

  constructor(
    readonly set: IndexSet,
    private from: string,
    private readonly to: string,
  ) {}

  get head(): string | undefined {
    return this.buffer[this.at]
  }

  get needsRead(): boolean {
    return this.at >= this.buffer.length && !this.exhausted
  }

  async read(range: LexRangeReader, count: number): Promise<void> {
    this.buffer = await range(this.set.key, this.from, this.to, count)
    this.at = 0
    this.exhausted = this.buffer.length < count
    if (this.buffer.length > 0) this.from = `(${this.buffer[this.buffer.length - 1]}`
  }

  advance(): void {
    this.at++
  }
}

export class IndexWalk {
  private readonly cursors: SetCursor[]
  /** Whether `a` comes before `b` in the walk's order. */
  private readonly precedes: (a: string, b: string) => boolean

  /**
   * Members within `range` (see core's `taskIndexRange`), upwards with `ascending`; `read`
   * must read in the same direction.
   */
  constructor(
    private readonly read: LexRangeReader,
    sets: readonly IndexSet[],
    range: { lower?: KeyBound; upper?: KeyBound },
    ascending: boolean,
  ) {
    const lower = lexBound(range.lower, '-')
    const upper = lexBound(range.upper, '+')
    this.cursors = sets.map((set) => (ascending ? new SetCursor(set, lower, upper) : new SetCursor(set, upper, lower)))
    this.precedes = ascending ? (a, b) => compareLikeRedis(a, b) < 0 : (a, b) => compareLikeRedis(a, b) > 0
  }

  /** The next `count` members in the walk's order; fewer only when the sets hold no more. */
  async take(count: number): Promise<IndexCandidate[]> {
    const taken: IndexCandidate[] = []
    const chunk = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, count))
    while (taken.length < count) {
      const empty = this.cursors.filter((cursor) => cursor.needsRead)
      if (empty.length > 0) await Promise.all(empty.map((cursor) => cursor.read(this.read, chunk)))
      let best: string | undefined
      for (const cursor of this.cursors) {
        const head = cursor.head
        if (head !== undefined && (best === undefined || this.precedes(head, best))) best = head
      }
      if (best === undefined) break
      // The same member at the head of several sets is one candidate: its task is read once.
      const from = this.cursors.filter((cursor) => cursor.head === best)
      for (const cursor of from) cursor.advance()
      taken.push({ member: best, sets: from.map((cursor) => cursor.set) })
    }
    return taken
  }
}
