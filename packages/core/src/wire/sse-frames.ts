// The names of Taskcast's SSE frames (the `event:` field), for the server that writes them and
// the clients that read them.

/** One event of the task's log: `data` is the envelope (or the bare data with `wrap=false`). */
export const EVENT_FRAME = 'taskcast.event'
/** The task reached a terminal status: `data` is `{ "reason": <status> }`; the stream ends. */
export const DONE_FRAME = 'taskcast.done'
/**
 * The stream ends on an error it cannot recover from (the task was deleted or vanished):
 * `data` is a REST error body's `error`, `{ code, message, details? }`. Do not reconnect.
 */
export const ERROR_FRAME = 'taskcast.error'
