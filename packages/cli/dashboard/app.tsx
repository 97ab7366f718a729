// The token gate: the dashboard runs with the tab's token (none at first); when the API
// answers 401 the token is dropped and the token form takes its place until one is accepted.
import type { TaskcastError } from '@taskcast/core'
import { useCallback, useMemo, useState } from 'react'
import { BASE_URL } from './base-url.js'
import { DashboardApi } from './dashboard-api.js'
import { Dashboard } from './dashboard.js'
import { TokenForm, type TokenRequest } from './token-form.js'
import { forgetToken, readToken, saveToken } from './token-store.js'

export function App() {
  const [token, setToken] = useState(readToken)
  const [tokenRequest, setTokenRequest] = useState<TokenRequest>()
  const api = useMemo(() => new DashboardApi(BASE_URL, token), [token])

  const onUnauthorized = useCallback(
    (error: TaskcastError) => {
      forgetToken()
      setToken(undefined)
      setTokenRequest({ refusedToken: api.token !== undefined, reason: error.message })
    },
    [api],
  )
  const onToken = useCallback((accepted: string) => {
    saveToken(accepted)
    setToken(accepted)
    setTokenRequest(undefined)
  }, [])
  const onForgetToken = useCallback(() => {
    forgetToken()
    setToken(undefined)
    setTokenRequest({ refusedToken: false, reason: 'forgotten' })
  }, [])

  if (tokenRequest) {
    return (
      <div className="app">
        <header className="topbar">
          <h1 className="brand">
            Taskcast <span className="brand-sub">dashboard</span>
          </h1>
        </header>
        <TokenForm request={tokenRequest} onToken={onToken} />
      </div>
    )
  }
  // Keyed by the token: a new one starts the page over, streams and all.
  return <Dashboard key={token ?? ''} api={api} onUnauthorized={onUnauthorized} onForgetToken={onForgetToken} />
}
