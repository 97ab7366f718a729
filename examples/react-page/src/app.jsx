// The page: a button that starts a story on the server, and a view of the task that follows it
// with useTaskEvents. The text is folded from the same events (accumulateText), so the page
// holds one stream per task. Reload mid-stream: the page rejoins with `?task=<id>` and shows
// the text so far at once (one snapshot event), then the rest as it comes.
import { StrictMode, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { accumulateText } from '@taskcast/client'
import { useTaskEvents } from '@taskcast/react'

// The server mounts the Taskcast API under /taskcast on the page's own origin (no CORS).
const BASE_URL = `${location.origin}/taskcast`

function Story({ taskId }) {
  const { events, status, isDone, doneReason, error } = useTaskEvents(taskId, {
    baseUrl: BASE_URL,
    filter: { types: ['llm.*'] }, // plus status events (includeStatus defaults to true)
  })
  const text = accumulateText(events, 'story')
  const state = error ? `error: ${error.code}` : isDone ? `done: ${doneReason}` : (status ?? 'waiting')
  return (
    <section>
      <p id="text">{text}</p>
      <p>
        Status: <strong id="status">{state}</strong> · <span id="count">{events.length}</span> events
      </p>
      <p>
        <a href={`?task=${encodeURIComponent(taskId)}`} target="_blank" rel="noreferrer">
          Open this task in another tab
        </a>
      </p>
    </section>
  )
}

function App() {
  const [taskId, setTaskId] = useState(() => new URLSearchParams(location.search).get('task'))

  async function start() {
    const response = await fetch('/stories', { method: 'POST' })
    const { taskId: created } = await response.json()
    history.replaceState(null, '', `?task=${encodeURIComponent(created)}`)
    setTaskId(created)
  }

  return (
    <main>
      <h1>A story, streamed to React</h1>
      {taskId ? (
        <Story taskId={taskId} />
      ) : (
        <button id="start" onClick={start}>
          Tell me a story
        </button>
      )}
    </main>
  )
}

// StrictMode mounts twice in development builds; the hook still ends up with one stream.
createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
