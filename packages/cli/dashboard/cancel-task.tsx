// Cancel, for a task that has not ended, asked twice: a cancel cannot be undone. The status
// event that follows (cancelled) removes the button.
import type { TaskcastClient } from '@taskcast/client'
import { useEffect, useRef, useState } from 'react'
import { describeError } from './format.js'

const CANCEL_REASON = 'cancelled from the dashboard'

export function CancelTask({ taskId, client }: { taskId: string; client: TaskcastClient }) {
  const [confirming, setConfirming] = useState(false)
  const [sending, setSending] = useState(false)
  const [problem, setProblem] = useState<string>()
  const keep = useRef<HTMLButtonElement>(null)
  const start = useRef<HTMLButtonElement>(null)
  const asked = useRef(false)

  // Focus follows the question: to its safe answer when asked, back to the button after.
  useEffect(() => {
    if (confirming) keep.current?.focus()
    else if (asked.current) start.current?.focus()
    asked.current = confirming
  }, [confirming])

  const cancel = async (): Promise<void> => {
    setSending(true)
    setProblem(undefined)
    try {
      await client.cancel(taskId, CANCEL_REASON)
    } catch (error) {
      setProblem(`The task was not cancelled: ${describeError(error)}`)
      setConfirming(false)
    } finally {
      setSending(false)
    }
  }

  return (
    <div className="cancel">
      {confirming ? (
        <div className="confirm" role="group" aria-labelledby="cancel-question">
          <span id="cancel-question">Cancel this task? Its producer is told to stop.</span>
          <button type="button" className="danger" id="confirm-cancel" disabled={sending} onClick={() => void cancel()}>
            Yes, cancel it
          </button>
          <button type="button" ref={keep} disabled={sending} onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <button type="button" className="danger-outline" ref={start} onClick={() => setConfirming(true)}>
          Cancel task
        </button>
      )}
      {problem && (
        <p className="problem" role="alert">
          {problem}
        </p>
      )}
    </div>
  )
}
