// Subscribers that record what they got at two levels: what `@taskcast/client` delivered to
// the application (`onEvent`), and every event frame that came over the wire, across all
// reconnects. The client drops a frame whose rawIndex it already passed, which would hide a
// server that repeats events; the wire record is what makes "duplicated = 0" a real check.
import { createSSEParser, TaskcastClient, type TaskEnvelope, type TerminalStatus } from '@taskcast/client'
import type { TaskcastError } from '@taskcast/core'

/** Where each (re)connection of a subscriber went, and with which cursor. */
export interface ConnectionRecord {
  /** The backend URL the request was sent to. */
  backend: string
  /** `since.id` of the request, if any. */
  sinceId: string | null
  /** eventId of the last event delivered to the application when the request was made. */
  lastDeliveredId: string | null
  /** HTTP status, or null when the request failed before any response. */
  status: number | null
}

/**
 * A `fetch` that sends each request to the first backend that accepts the connection,
 * starting with the one that answered last: a client-side stand-in for a load balancer
 * that takes a dead node out of rotation.
 */
export class FailoverFetch {
  private current = 0

  constructor(readonly backends: string[]) {}

  /** Which backend the next request goes to first. */
  get preferred(): string {
    return this.backends[this.current]!
  }

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const original = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
    let lastError: unknown
    for (let tries = 0; tries < this.backends.length; tries++) {
      const backend = this.backends[this.current]!
      const target = new URL(original.pathname + original.search, backend)
      try {
        return await globalThis.fetch(target, init)
      } catch (error) {
        // Aborted by the caller: not the backend's fault.
        if (init?.signal?.aborted) throw error
        lastError = error
        this.current = (this.current + 1) % this.backends.length
      }
    }
    throw lastError
  }
}

const RAW_INDEX = /"rawIndex":(\d+)/

export class RecordingSubscriber {
  /** Envelopes as the application received them. */
  readonly delivered: TaskEnvelope[] = []
  /** rawIndex of every `taskcast.event` frame received on the wire, in arrival order. */
  readonly wire: number[] = []
  readonly connections: ConnectionRecord[] = []
  readonly done: Promise<TerminalStatus>
  private resolveDone!: (reason: TerminalStatus) => void
  private rejectDone!: (error: TaskcastError) => void
  private readonly subscription: { unsubscribe(): void }
  private readonly waiters = new Set<{ index: number; resolve: () => void }>()

  constructor(
    readonly taskId: string,
    readonly router: FailoverFetch,
    options: { reconnectDelayMs?: number } = {},
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    this.done.catch(() => undefined)
    const client = new TaskcastClient({
      baseUrl: router.preferred,
      fetch: this.recordingFetch,
      reconnect: { initialDelayMs: options.reconnectDelayMs ?? 200, maxDelayMs: 2000 },
    })
    this.subscription = client.subscribe(taskId, {
      onEvent: (envelope) => {
        this.delivered.push(envelope)
        for (const waiter of this.waiters) {
          if (envelope.rawIndex < waiter.index) continue
          this.waiters.delete(waiter)
          waiter.resolve()
        }
      },
      onDone: (reason) => this.resolveDone(reason),
      onError: (error) => this.rejectDone(error),
    })
  }

  /** Index of the last event delivered, -1 before the first. */
  get lastIndex(): number {
    return this.delivered.at(-1)?.rawIndex ?? -1
  }

  /** Resolves once an event with rawIndex ≥ `index` was delivered. */
  reached(index: number, timeoutMs = 30_000): Promise<void> {
    if (this.lastIndex >= index) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error(`subscriber stuck at index ${this.lastIndex}, waiting for ${index}`))
      }, timeoutMs)
      const waiter = { index, resolve: () => (clearTimeout(timer), resolve()) }
      this.waiters.add(waiter)
    })
  }

  unsubscribe(): void {
    this.subscription.unsubscribe()
  }

  private readonly recordingFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const requested = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
    const record: ConnectionRecord = {
      backend: this.router.preferred,
      sinceId: requested.searchParams.get('since.id'),
      lastDeliveredId: this.delivered.at(-1)?.eventId ?? null,
      status: null,
    }
    this.connections.push(record)
    const response = await this.router.fetch(input, init)
    // The router may have moved on to another backend.
    record.backend = this.router.preferred
    record.status = response.status
    if (!response.ok || !response.body) return response
    const parser = createSSEParser((message) => {
      if (message.event !== 'taskcast.event') return
      const match = RAW_INDEX.exec(message.data)
      this.wire.push(match ? Number(match[1]) : Number.NaN)
    })
    const tap = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        parser.push(chunk)
        controller.enqueue(chunk)
      },
    })
    return new Response(response.body.pipeThrough(tap), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    })
  }
}
