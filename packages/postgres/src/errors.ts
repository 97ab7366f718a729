// Maps driver failures to TaskcastError: by SQLSTATE and Node error codes, never by message text.
import { TaskcastError } from '@taskcast/core'

/**
 * SQLSTATE classes and codes meaning "the server cannot serve this now; a retry may succeed".
 * 08: connection exception; 53: insufficient resources (too many connections, disk full);
 * 57P01-57P03: shutdown or not yet accepting connections; 57014: statement timeout or cancel;
 * 40001/40P01: serialization failure, deadlock.
 */
const UNAVAILABLE_SQLSTATE_CLASSES = ['08', '53']
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014', '40001', '40P01'])
const SQLSTATE = /^[0-9A-Z]{5}$/

/** A server-side error (pg's `DatabaseError`), recognised by shape so any copy of pg matches. */
function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { code, severity } = error as { code?: unknown; severity?: unknown }
  return typeof code === 'string' && SQLSTATE.test(code) && typeof severity === 'string' ? code : undefined
}

function isUnavailableState(state: string): boolean {
  return UNAVAILABLE_SQLSTATES.has(state) || UNAVAILABLE_SQLSTATE_CLASSES.includes(state.slice(0, 2))
}

/**
 * Whether the server rejected one statement and the connection is still sound (a missing
 * table, a constraint violation). Errors of the unavailable kind are excluded: some of them
 * (57P01, class 08) come just before the server closes the socket.
 */
export function isStatementError(error: unknown): boolean {
  const state = sqlState(error)
  return state !== undefined && !isUnavailableState(state)
}

/** Wraps a failure to obtain a connection: whatever the reason, the store cannot be reached. */
export function connectError(error: unknown): TaskcastError {
  if (TaskcastError.isInstance(error)) return error
  return new TaskcastError('STORE_UNAVAILABLE', 'PostgreSQL is unreachable', { cause: error })
}

/**
 * Wraps a failure of a statement on an open connection. When the server answered, its
 * SQLSTATE decides; when it did not (socket errors such as ECONNRESET, the driver's
 * "connection terminated" and read timeouts, which carry no code), the store is unavailable.
 */
export function queryError(error: unknown, action: string): TaskcastError {
  if (TaskcastError.isInstance(error)) return error
  const state = sqlState(error)
  if (state === undefined) {
    return new TaskcastError('STORE_UNAVAILABLE', `PostgreSQL connection failed while ${action}`, { cause: error })
  }
  return isUnavailableState(state)
    ? new TaskcastError('STORE_UNAVAILABLE', `PostgreSQL could not serve the request while ${action}`, {
        cause: error,
        details: { sqlState: state },
      })
    : new TaskcastError('INTERNAL', `PostgreSQL rejected a statement while ${action}`, {
        cause: error,
        details: { sqlState: state },
      })
}
