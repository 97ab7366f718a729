// The page: follows the agent's task with useTaskEvents, shows its text, asks the agent's
// question (the `request` of a blocked task) with Approve and Deny, and offers Stop, which
// cancels the task. The page never talks to the agent: both only talk to the task.
import { StrictMode, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { TaskcastClient, accumulateText } from '@taskcast/client'
import { useTaskEvents } from '@taskcast/react'

// server.mjs passes the Taskcast API through under /taskcast on this origin (no CORS).
const BASE_URL = `${location.origin}/taskcast`
const client = new TaskcastClient({ baseUrl: BASE_URL })

function Question({ request, onAnswer, busy }) {
  const { tool, command } = request.data
  return (
    <div id="question">
      <p>
        The agent wants to run a <strong>{tool}</strong> command: <code id="command">{command}</code>
      </p>
      <button id="approve" disabled={busy} onClick={() => onAnswer(true)}>
        Approve
      </button>{' '}
      <button id="deny" disabled={busy} onClick={() => onAnswer(false)}>
        Deny
      </button>
    </div>
  )
}

function Run({ taskId }) {
  const { events, status, request, isDone, doneReason, error } = useTaskEvents(taskId, { baseUrl: BASE_URL })
  // A click is on its way: no second answer (or second Stop) until the task says what happened.
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState('')

  async function act(call) {
    setBusy(true)
    setFailure('')
    try {
      await call()
    } catch (failed) {
      // e.g. CONFLICT when another tab answered first, INVALID_TRANSITION once it is over
      setFailure(failed.code ?? String(failed))
    } finally {
      setBusy(false)
    }
  }

  const text = accumulateText(events, 'answer')
  const statuses = events.filter((event) => event.type === 'taskcast:status').map((event) => event.data)
  const state = error ? `error: ${error.code}` : isDone ? `done: ${doneReason}` : (status ?? 'waiting')
  return (
    <section>
      <p id="text">{text}</p>
      {status === 'blocked' && request?.type === 'approval' && (
        <Question request={request} busy={busy} onAnswer={(approved) => act(() => client.resolve(taskId, { approved }))} />
      )}
      <p>
        Status: <strong id="status">{state}</strong>{' '}
        {!isDone && !error && (
          <button id="stop" disabled={busy} onClick={() => act(() => client.cancel(taskId, 'stopped by user'))}>
            Stop
          </button>
        )}
      </p>
      {failure && <p id="failure">{failure}</p>}
      <ol id="statuses">
        {statuses.map((data, i) => (
          <li key={i}>{data.reason ? `${data.status}: ${data.reason}` : data.status}</li>
        ))}
      </ol>
    </section>
  )
}

function App() {
  const taskId = new URLSearchParams(location.search).get('task')
  return (
    <main>
      <h1>An agent that asks first</h1>
      {taskId ? (
        <Run taskId={taskId} />
      ) : (
        <p>
          Start the agent with <code>node agent.mjs</code> and open the link it prints.
        </p>
      )}
    </main>
  )
}

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
