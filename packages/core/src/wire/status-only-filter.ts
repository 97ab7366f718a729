// The filter of a subscription that wants a task's status changes and nothing else (waiting for
// a status, watching for the end). Status events pass `types` regardless of it (SPEC §5), and no
// user event may have a `taskcast:` type, so this one type admits the status events alone.
import { STATUS_EVENT_TYPE, type SubscribeFilter } from '../types.js'

/** A new `{ types: ['taskcast:status'], includeStatus: true }` (a fresh object: callers add `since`). */
export function statusOnlyFilter(): SubscribeFilter {
  return { types: [STATUS_EVENT_TYPE], includeStatus: true }
}
