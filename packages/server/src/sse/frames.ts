// The text of Taskcast's SSE frames (SPEC §8). Kept apart from the transport so it can be
// swapped or cached without touching connection handling.
import type { GoneReason, SSEEnvelope, TerminalStatus } from '@taskcast/core'
import { DONE_FRAME, ERROR_FRAME, EVENT_FRAME } from '@taskcast/core/wire'

/** A comment line: ignored by every SSE parser, it keeps proxies from closing an idle stream. */
export const PING_FRAME = ': ping\n\n'

/**
 * One event. With `wrap` the data line is the envelope as JSON; without it, the event's
 * bare data: a string as-is (so `EventSource` users get plain text), anything else as JSON.
 */
export function eventFrame(envelope: SSEEnvelope, wrap: boolean): string {
  const data = wrap ? JSON.stringify(envelope) : bareData(envelope.data)
  return `event: ${EVENT_FRAME}\nid: ${envelope.eventId}\n${dataLines(data)}\n`
}

/** The first frame of every stream: a reconnect delay for `EventSource`, and no event. */
export function retryFrame(retryMs: number): string {
  return `retry: ${retryMs}\n\n`
}

/** The last frame of a stream whose task reached a terminal status. */
export function doneFrame(reason: TerminalStatus): string {
  return `event: ${DONE_FRAME}\ndata: ${JSON.stringify({ reason })}\n\n`
}

/**
 * The last frame of a stream whose task went away: the body of a REST error, so a client reads
 * it as it reads an error response, and knows not to reconnect.
 */
export function goneFrame(taskId: string, reason: GoneReason): string {
  const message = reason === 'deleted' ? `task ${taskId} was deleted` : `task ${taskId} is no longer stored`
  return `event: ${ERROR_FRAME}\ndata: ${JSON.stringify({ code: 'TASK_NOT_FOUND', message, details: { reason } })}\n\n`
}

function bareData(data: unknown): string {
  return typeof data === 'string' ? data : JSON.stringify(data)
}

/**
 * An SSE field value ends at any line break, so text with line breaks becomes one `data:`
 * line per line; parsers join them back with `\n` (a lone `\r` comes back as `\n`).
 * JSON.stringify never emits raw line breaks, so wrapped frames take the fast path.
 */
function dataLines(text: string): string {
  if (!/[\r\n]/.test(text)) return `data: ${text}\n`
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('')
}
