// The TaskcastClient a hook streams through: one per base URL and reconnect policy (compared
// by value), kept in state so that React never drops it while they stay the same.
import { TaskcastClient, type ReconnectOptions, type TokenSource } from '@taskcast/client'
import { useState } from 'react'
import { stableKey } from './stable-key.js'

/** What the client reads at each (re)connection rather than at creation. */
export interface LiveClientSettings {
  token?: TokenSource
  fetch?: typeof fetch
}

/**
 * `live` is read at each (re)connection for the token and fetch, which change identity
 * freely (inline arrows, refreshed JWTs): a new one does not restart the stream.
 */
export function useTaskcastClient(
  baseUrl: string,
  reconnect: ReconnectOptions | undefined,
  live: { readonly current: LiveClientSettings },
): TaskcastClient {
  const key = stableKey([baseUrl, reconnect])
  const create = (): { key: string; client: TaskcastClient } => ({
    key,
    client: new TaskcastClient({
      baseUrl,
      token: () => {
        const { token } = live.current
        return typeof token === 'function' ? token() : token
      },
      fetch: (input, init) => {
        const custom = live.current.fetch
        return custom ? custom(input, init) : globalThis.fetch(input, init)
      },
      ...(reconnect !== undefined && { reconnect }),
    }),
  })
  const [held, setHeld] = useState(create)
  if (held.key === key) return held.client
  // A new base URL or policy: React's "adjust state while rendering" pattern. React renders
  // again at once with the new client, before committing anything.
  const next = create()
  setHeld(next)
  return next.client
}
