// The page: a chat whose answers stream through Taskcast. `useChat` sends through
// TaskcastChatTransport (the app's /api/chat starts a task) and, with `resume: true`, picks the
// answer in progress up again after a reload or in a second tab. Stop cancels the task, which
// aborts the model call on the server and ends the answer in every tab.
import { useChat } from '@ai-sdk/react'
import { TaskcastChatTransport } from '@taskcast/ai-sdk'
import { useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'

// One chat per URL (`?chat=<id>`): open the same URL in another tab to watch the same chat.
const params = new URLSearchParams(location.search)
const chatId = params.get('chat') ?? crypto.randomUUID()
if (!params.has('chat')) history.replaceState(null, '', `?chat=${chatId}`)

const textOf = (message) => message.parts.filter((part) => part.type === 'text').map((part) => part.text).join('')

function Chat({ stored }) {
  const [transport] = useState(
    () =>
      new TaskcastChatTransport({
        // Taskcast is embedded in server.mjs under /taskcast on this origin.
        baseUrl: `${location.origin}/taskcast`,
        api: '/api/chat',
        // The answer in progress when the page loaded, read with the messages in one answer:
        // either it is in `stored.messages` already, or it is this task.
        resolveTaskId: () => stored.activeTaskId,
      }),
  )
  const { messages, sendMessage, status, error } = useChat({ id: chatId, messages: stored.messages, transport, resume: true })
  const [input, setInput] = useState('')
  const busy = status === 'submitted' || status === 'streaming'

  return (
    <main>
      <ol id="messages">
        {messages.map((message) => (
          <li key={message.id} className={`message ${message.role}`}>
            <span className="role">{message.role}</span>
            <span className="text">{textOf(message)}</span>
          </li>
        ))}
      </ol>
      <form
        onSubmit={(event) => {
          event.preventDefault()
          void sendMessage({ text: input })
          setInput('')
        }}
      >
        <input id="prompt" value={input} placeholder="Ask something" onChange={(event) => setInput(event.target.value)} />
        <button id="send" disabled={busy || input === ''}>
          Send
        </button>
        {/* Cancels the task, whichever tab started it: every tab's answer ends there. */}
        <button id="stop" type="button" disabled={!busy} onClick={() => void transport.cancel(chatId)}>
          Stop
        </button>
      </form>
      <p id="status">{status}</p>
      {error && <p id="error">{error.message}</p>}
    </main>
  )
}

function App() {
  const [stored, setStored] = useState(null)
  useEffect(() => {
    fetch(`/api/chats/${encodeURIComponent(chatId)}`)
      .then((response) => response.json())
      .then(setStored)
  }, [])
  return stored ? <Chat stored={stored} /> : <p>Loading…</p>
}

createRoot(document.getElementById('root')).render(<App />)
