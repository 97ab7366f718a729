// The token lives in this tab only (sessionStorage): closing the tab forgets it, and no other
// tab or later visit ever reads it.
const KEY = 'taskcast.dashboard.token'

export function readToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined
  } catch {
    return undefined // storage disabled: the token is asked for again on each load
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token)
  } catch {
    // Kept in memory only, for as long as the page stays open.
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(KEY)
  } catch {
    // Nothing was stored.
  }
}

/** What people paste: the token, perhaps with `Bearer ` before it and spaces around. */
export function cleanToken(input: string): string {
  return input.trim().replace(/^bearer\s+/i, '').trim()
}
