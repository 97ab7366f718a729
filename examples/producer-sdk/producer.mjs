// A producer: your backend, talking to a standalone Taskcast server with @taskcast/server-sdk.
// It creates a task, moves it to running, streams an answer into it delta by delta (an
// accumulate series), and completes it with a result.
//
//   npx taskcast                     # the server, on http://127.0.0.1:3721
//   node producer.mjs                # prints the task id, then streams for a few seconds
//   node consumer.mjs <task id>      # in another terminal, while it streams (or after)
import { TaskcastError } from '@taskcast/core'
import { TaskcastServerClient } from '@taskcast/server-sdk'

const baseUrl = process.env.TASKCAST_URL ?? 'http://127.0.0.1:3721'
// Pause before each delta, as a model producing tokens would.
const delayMs = Number(process.env.DELTA_DELAY_MS ?? 300)

const ANSWER = ['Once', ' upon', ' a', ' time', ' there', ' was', ' a', ' resumable', ' stream', '.']

const taskcast = new TaskcastServerClient({
  baseUrl,
  token: process.env.TASKCAST_TOKEN, // only needed when the server has auth on
})

try {
  const task = await taskcast.createTask({ type: 'llm.chat', params: { prompt: 'Tell me a story' }, ttl: 3600 })
  console.log(`created task ${task.id}`)

  // Events can only be published while the task is running.
  await taskcast.transitionTask(task.id, 'running')
  console.log('running')

  for (const text of ANSWER) {
    await new Promise((resolve) => setTimeout(resolve, delayMs))
    await taskcast.publishEvent(task.id, {
      type: 'llm.delta',
      data: { text },
      seriesId: 'answer',
      seriesMode: 'accumulate',
    })
  }
  console.log(`published ${ANSWER.length} deltas`)

  await taskcast.transitionTask(task.id, 'completed', { result: { output: ANSWER.join('') } })
  console.log('completed')
} catch (error) {
  // Every failure is a TaskcastError carrying the server's code (STORE_UNAVAILABLE with
  // details.network when the server cannot be reached at all).
  if (!TaskcastError.isInstance(error)) throw error
  console.error(`error: ${error.code}: ${error.message}`)
  process.exitCode = 1
}
