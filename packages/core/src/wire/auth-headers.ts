// The bearer token, fixed or fetched before every request (so an expiring JWT can be refreshed).

/** A token, or a function returning the current one; called before each request or reconnect. */
export type TokenSource = string | (() => string | null | undefined | Promise<string | null | undefined>)

export async function authHeaders(token: TokenSource | undefined): Promise<Record<string, string>> {
  const value = typeof token === 'function' ? await token() : token
  return value ? { authorization: `Bearer ${value}` } : {}
}
