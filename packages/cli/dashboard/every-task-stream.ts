// `GET /events` for the task list: the creation notices and status events of every task on
// one stream (`types=`: no other event), reconnecting with the clients' backoff. The stream
// replays nothing, so each connection is announced: the list reads `GET /tasks` again then, for
// whatever happened while it was not connected.
import type { SSEEnvelope, TaskcastError } from '@taskcast/core'
import {
  authHeaders,
  backoffDelay,
  createSSEParser,
  DEFAULT_RECONNECT,
  EVENT_FRAME,
  sleep,
  taskcastErrorFromResponse,
  toGlobalStreamSearchParams,
} from '@taskcast/core/wire'

/** `connecting`: never connected yet; `stopped`: refused for good (see `onRefused`). */
export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'stopped'

export interface EveryTaskStreamOptions {
  baseUrl: string
  token: string | undefined
  /** Task types with wildcards (`taskTypes`); every task when empty. */
  taskTypes: readonly string[]
  /** Connected, for the first time or again. */
  onOpen(): void
  onEnvelope(envelope: SSEEnvelope): void
  onLinkState(state: LinkState): void
  /** The server refused the stream (401, 403, 400): it is not tried again. */
  onRefused(error: TaskcastError): void
}

/** Starts the stream; the function returned stops it. */
export function watchEveryTask(options: EveryTaskStreamOptions): () => void {
  const stop = new AbortController()
  void run(options, stop.signal)
  return () => stop.abort()
}

interface Outcome {
  connected: boolean
  refused?: TaskcastError
}

async function run(options: EveryTaskStreamOptions, signal: AbortSignal): Promise<void> {
  options.onLinkState('connecting')
  let failures = 0
  while (!signal.aborted) {
    const { connected, refused } = await connect(options, signal)
    if (signal.aborted) return
    if (refused) {
      options.onLinkState('stopped')
      return options.onRefused(refused)
    }
    // A connection that was up resets the count: its drop is not a failed attempt.
    failures = connected ? 0 : failures + 1
    options.onLinkState('reconnecting')
    await sleep(backoffDelay(failures, DEFAULT_RECONNECT), signal)
  }
}

function url({ baseUrl, taskTypes }: EveryTaskStreamOptions): string {
  const query = toGlobalStreamSearchParams({ types: [], ...(taskTypes.length > 0 && { taskTypes: [...taskTypes] }) })
  return `${baseUrl}/events?${query.toString()}`
}

/** One connection, read until it drops, goes silent past the idle timeout, or is stopped. */
async function connect(options: EveryTaskStreamOptions, signal: AbortSignal): Promise<Outcome> {
  const attempt = new AbortController()
  const abort = (): void => attempt.abort()
  signal.addEventListener('abort', abort, { once: true })
  // The server pings every 15 s: silence for longer than three pings is a dead link.
  let idle: ReturnType<typeof setTimeout> | undefined
  const arm = (): void => {
    clearTimeout(idle)
    idle = setTimeout(abort, DEFAULT_RECONNECT.idleTimeoutMs)
  }
  let connected = false
  try {
    const headers = { accept: 'text/event-stream', ...(await authHeaders(options.token)) }
    const response = await fetch(url(options), { headers, signal: attempt.signal })
    if (!response.ok) {
      const error = await taskcastErrorFromResponse(response)
      return error.retryable ? { connected } : { connected, refused: error }
    }
    if (!response.body) return { connected }
    connected = true
    options.onLinkState('live')
    options.onOpen()
    const parser = createSSEParser((message) => {
      if (message.event !== EVENT_FRAME) return
      let envelope: SSEEnvelope
      try {
        envelope = JSON.parse(message.data) as SSEEnvelope
      } catch {
        return // not an envelope: nothing the list could use
      }
      options.onEnvelope(envelope)
    })
    const reader = response.body.getReader()
    arm()
    for (;;) {
      const { value, done } = await reader.read()
      if (done || signal.aborted) break
      arm()
      parser.push(value)
    }
    return { connected }
  } catch {
    // A network error, a drop, or the idle abort: all are tried again.
    return { connected }
  } finally {
    clearTimeout(idle)
    signal.removeEventListener('abort', abort)
  }
}
