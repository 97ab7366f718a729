// Awaiting outcomes instead of sleeping: the error a promise rejects with, the reason a signal aborts with.
import { TaskcastError } from '@taskcast/core'

/** The TaskcastError `promise` rejects with; fails the test if it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<TaskcastError> {
  const error = await promise.then(
    (value) => new Error(`expected a rejection, got ${JSON.stringify(value)}`),
    (e: unknown) => e,
  )
  if (!TaskcastError.isInstance(error)) throw new Error(`expected a TaskcastError, got ${String(error)}`)
  return error
}

/** Resolves with `signal.reason` once it aborts. */
export function abortReason(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason)
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }))
}
