// The token form, shown when the server answered 401: the token is tried on `GET /tasks`
// before it is kept, so a wrong one is refused here, with the server's reason.
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { BASE_URL } from './base-url.js'
import { DashboardApi } from './dashboard-api.js'
import { describeError } from './format.js'
import { cleanToken } from './token-store.js'

/** Why the form is shown: no token yet, or the one held was refused. */
export interface TokenRequest {
  refusedToken: boolean
  reason: string
}

export function TokenForm({ request, onToken }: { request: TokenRequest; onToken(token: string): void }) {
  const [input, setInput] = useState('')
  const [checking, setChecking] = useState(false)
  const [problem, setProblem] = useState<string>()
  const field = useRef<HTMLInputElement>(null)
  useEffect(() => field.current?.focus(), [])

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const token = cleanToken(input)
    if (token === '') return setProblem('Paste a token first.')
    setChecking(true)
    setProblem(undefined)
    try {
      await new DashboardApi(BASE_URL, token).listTasks({ limit: 1 })
      onToken(token)
    } catch (error) {
      const code = (error as { code?: string }).code
      // A valid token without `task:list` still opens the page, which says what it lacks.
      if (code === 'FORBIDDEN') return onToken(token)
      setProblem(code === 'UNAUTHORIZED' ? `The server refused this token: ${(error as Error).message}.` : describeError(error))
      field.current?.focus()
    } finally {
      setChecking(false)
    }
  }

  return (
    <main className="token-screen">
      <form className="token-form" onSubmit={(event) => void submit(event)} aria-labelledby="token-heading">
        <h2 id="token-heading">This server needs a token</h2>
        <p>
          {request.refusedToken
            ? `The server no longer accepts the token this tab held (${request.reason}). Paste another one.`
            : 'Auth is on: paste a token (a JWT) that may list and watch tasks, with the scopes task:list and event:subscribe.'}
        </p>
        <label htmlFor="token">Token</label>
        <input
          id="token"
          name="token"
          type="password"
          ref={field}
          value={input}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={problem !== undefined}
          aria-describedby={problem ? 'token-problem token-hint' : 'token-hint'}
          onChange={(event) => setInput(event.target.value)}
        />
        <p id="token-hint" className="hint">
          Kept in this tab only, until you close it. To answer and cancel tasks it also needs task:resolve and task:cancel.
        </p>
        {problem && (
          <p id="token-problem" className="problem" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="primary" disabled={checking}>
          {checking ? 'Checking…' : 'Open the dashboard'}
        </button>
      </form>
    </main>
  )
}
