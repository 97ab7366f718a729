// How the page writes times, JSON values and errors.
import { TaskcastError } from '@taskcast/core'

const DAY_MS = 24 * 60 * 60 * 1000

/** A time of today as `14:03:07`; an older one with its date. */
export function formatTime(ms: number, now = Date.now()): string {
  const date = new Date(ms)
  return Math.abs(now - ms) < DAY_MS && date.getDate() === new Date(now).getDate() ? date.toLocaleTimeString() : date.toLocaleString()
}

export function formatDateTime(ms: number): string {
  return new Date(ms).toLocaleString()
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}

/** A JSON value on one line, cut at `max` characters. */
export function preview(value: unknown, max = 160): string {
  const text = value === undefined ? '' : JSON.stringify(value)
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
}

/** An error as a person reads it: the server's message, and its code to look up. */
export function describeError(error: unknown): string {
  if (TaskcastError.isInstance(error)) {
    return error.code === 'STORE_UNAVAILABLE' && error.details?.network === true
      ? 'The Taskcast server cannot be reached.'
      : `${error.message} (${error.code})`
  }
  return error instanceof Error ? error.message : String(error)
}
