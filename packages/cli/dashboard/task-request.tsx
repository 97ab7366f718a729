// The question a blocked task waits on, and the ways to answer it: any JSON value, and for an
// `approval` request Approve / Deny, which send `{ approved: true | false }`. The task's next
// status event (it runs again) takes the question off the page.
import type { BlockedRequest, TaskcastClient } from '@taskcast/client'
import { useState, type FormEvent } from 'react'
import { describeError } from './format.js'
import { JsonBlock } from './json-block.js'

interface TaskRequestProps {
  taskId: string
  request: BlockedRequest
  client: TaskcastClient
}

export function TaskRequest({ taskId, request, client }: TaskRequestProps) {
  const [answer, setAnswer] = useState('')
  const [sending, setSending] = useState(false)
  const [problem, setProblem] = useState<string>()

  const send = async (data: unknown): Promise<void> => {
    setSending(true)
    setProblem(undefined)
    try {
      await client.resolve(taskId, data)
    } catch (error) {
      setProblem(`The answer was not taken: ${describeError(error)}`)
    } finally {
      setSending(false)
    }
  }
  const sendJson = (event: FormEvent): void => {
    event.preventDefault()
    let data: unknown
    try {
      data = JSON.parse(answer)
    } catch (error) {
      setProblem(`The answer must be JSON (for example {"approved": true} or "yes"): ${(error as Error).message}`)
      return
    }
    void send(data)
  }

  return (
    <section className="request" aria-labelledby="request-heading">
      <h3 id="request-heading">Waiting for an answer</h3>
      <p>
        It asks for <strong className="request-type">{request.type}</strong>
        {request.data === undefined ? '.' : ':'}
      </p>
      {request.data !== undefined && <JsonBlock value={request.data} label="What the task asks" />}
      {request.type === 'approval' && (
        <div className="actions">
          <button type="button" className="primary" disabled={sending} onClick={() => void send({ approved: true })}>
            Approve
          </button>
          <button type="button" disabled={sending} onClick={() => void send({ approved: false })}>
            Deny
          </button>
        </div>
      )}
      <form className="answer-form" onSubmit={sendJson}>
        <label htmlFor="answer">{request.type === 'approval' ? 'Or answer with any JSON value' : 'Answer (JSON)'}</label>
        <textarea
          id="answer"
          name="answer"
          rows={3}
          value={answer}
          spellCheck={false}
          aria-describedby="answer-hint"
          onChange={(event) => setAnswer(event.target.value)}
        />
        <p id="answer-hint" className="hint">
          Sent as the task's resolution (<code>POST /tasks/:id/resolve</code>); the task then runs again.
        </p>
        <button type="submit" disabled={sending || answer.trim() === ''}>
          Send answer
        </button>
      </form>
      {problem && (
        <p className="problem" role="alert">
          {problem}
        </p>
      )}
    </section>
  )
}
