// A fetch in front of the real one (to the real server, over loopback) that records every request
// with its Producer-* stamp and what became of it, and plays the faults of a network on the
// requests a plan picks: a connection refused before the request went out, an answer lost after
// the server gave it, an answer that never comes, a gateway's 503, or a request held back until
// some other exchange happened (so that a later request overtakes it).
import { PRODUCER_EPOCH_HEADER, PRODUCER_ID_HEADER, PRODUCER_SEQ_HEADER } from '@taskcast/core/wire'

export interface Call {
  method: string
  /** Path and query, e.g. `/tasks/abc/events`. */
  path: string
  /** The Producer-* stamp, on a producer's publish. */
  stamp?: { id: string; epoch: number; seq: number }
  /** Events in a JSON array body (1 for an object body, 0 for none). */
  events: number
  /** 1 for the first request with this stamp (or, unstamped, this method and path), 2 for the next… */
  attempt: number
}

export type Fault =
  /** Fails like a refused or reset connection; the server never sees the request. */
  | 'refuse'
  /** The server answers; the answer is read in full, then dropped: the caller sees a network error. */
  | 'lose-answer'
  /** The server answers; the caller gets nothing until its signal aborts. */
  | 'hang'
  /** Answers 503 STORE_UNAVAILABLE as a gateway would; the server never sees the request. */
  | 'unavailable'

export interface Plan {
  /** Sent only once this settles. */
  hold?: Promise<unknown>
  fault?: Fault
}

export interface Exchange extends Call {
  /** The server's status, if the request reached it. */
  status?: number
  /** The error code of a refusal by the server. */
  code?: string
  /** The expectedSeq of a SEQUENCE_GAP. */
  expectedSeq?: number
  fault?: Fault
}

function countEvents(body: unknown): number {
  if (typeof body !== 'string') return 0
  const parsed = JSON.parse(body) as unknown
  return Array.isArray(parsed) ? parsed.length : 1
}

export class FaultyNetwork {
  readonly exchanges: Exchange[] = []
  private readonly attempts = new Map<string, number>()
  private readonly watchers = new Set<() => void>()

  constructor(private readonly plan: (call: Call) => Plan | undefined = () => undefined) {}

  /** Exchanges of a producer's requests with `seq`, in the order they were answered. */
  ofSeq(seq: number): Exchange[] {
    return this.exchanges.filter((exchange) => exchange.stamp?.seq === seq)
  }

  /** Resolves once `predicate` holds over the exchanges (checked after each one). */
  until(predicate: (exchanges: readonly Exchange[]) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!predicate(this.exchanges)) return
        this.watchers.delete(check)
        resolve()
      }
      this.watchers.add(check)
      check()
    })
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input))
    const headers = new Headers(init?.headers)
    const id = headers.get(PRODUCER_ID_HEADER)
    const stamp = id === null ? undefined : { id, epoch: Number(headers.get(PRODUCER_EPOCH_HEADER)), seq: Number(headers.get(PRODUCER_SEQ_HEADER)) }
    const method = init?.method ?? 'GET'
    const key = stamp ? `${stamp.id}/${stamp.epoch}/${stamp.seq}` : `${method} ${url.pathname}`
    const attempt = (this.attempts.get(key) ?? 0) + 1
    this.attempts.set(key, attempt)
    const call: Call = { method, path: url.pathname + url.search, ...(stamp && { stamp }), events: countEvents(init?.body), attempt }
    const plan = this.plan(call) ?? {}
    await plan.hold
    const exchange: Exchange = { ...call, ...(plan.fault && { fault: plan.fault }) }
    if (plan.fault === 'refuse') {
      this.record(exchange)
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNRESET (injected)') })
    }
    if (plan.fault === 'unavailable') {
      this.record({ ...exchange, status: 503, code: 'STORE_UNAVAILABLE' })
      const body = { error: { code: 'STORE_UNAVAILABLE', message: 'injected by the test' } }
      return new Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/json' } })
    }
    const response = await fetch(input, init)
    const text = await response.text()
    exchange.status = response.status
    if (!response.ok) {
      const error = (JSON.parse(text) as { error: { code: string; details?: { expectedSeq?: number } } }).error
      exchange.code = error.code
      if (error.details?.expectedSeq !== undefined) exchange.expectedSeq = error.details.expectedSeq
    }
    this.record(exchange)
    if (plan.fault === 'lose-answer') throw new TypeError('fetch failed', { cause: new Error('socket hang up (injected)') })
    if (plan.fault === 'hang') {
      const signal = init?.signal
      await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }))
      throw signal?.reason
    }
    return new Response(text, { status: response.status, headers: response.headers })
  }

  private record(exchange: Exchange): void {
    this.exchanges.push(exchange)
    for (const check of [...this.watchers]) check()
  }
}
