// The words of an error worth a one-line message: the deepest cause, which says what really failed.

/**
 * The message (or code) of the innermost cause that has one, e.g. `connect ECONNREFUSED 127.0.0.1:1`
 * for a `STORE_UNAVAILABLE` caused by a refused connection. Node's happy-eyeballs connect errors
 * are `AggregateError`s with an empty message: their first inner error speaks for them.
 */
export function errorText(error: unknown): string {
  let text = ''
  let current: unknown = error
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    const own = ownText(current)
    if (own) text = own
    if (current instanceof AggregateError && current.errors.length > 0 && !current.message) {
      current = current.errors[0]
      continue
    }
    current = (current as { cause?: unknown }).cause
  }
  return text || String(error)
}

function ownText(error: unknown): string {
  if (error instanceof Error) return error.message || String((error as { code?: unknown }).code ?? '')
  if (typeof error === 'string') return error
  return ''
}
