// A consumer: follows a task with @taskcast/client and prints the streamed text as it arrives.
// The same code runs in a browser; here it runs on Node.
//
//   node consumer.mjs <task id>
//
// It joins at any time: before the task runs (it waits), mid-stream (the text so far comes
// first, as one snapshot), or after the end (the whole text at once). If the connection
// drops it reconnects and resumes after the last event it printed.
import { TaskcastClient, appendSeriesText } from '@taskcast/client'

const baseUrl = process.env.TASKCAST_URL ?? 'http://127.0.0.1:3721'
const taskId = process.argv[2]
if (!taskId) {
  console.error('usage: node consumer.mjs <task id>')
  process.exit(2)
}

const client = new TaskcastClient({ baseUrl, token: process.env.TASKCAST_TOKEN })

let text = ''
const subscription = client.subscribe(taskId, {
  filter: { types: ['llm.*'] }, // status events come too (includeStatus defaults to true)
  onEvent(envelope) {
    const next = appendSeriesText(text, envelope, 'answer')
    process.stdout.write(next.slice(text.length))
    text = next
  },
})

try {
  // Resolves with the terminal status; rejects with the TaskcastError that ended the
  // subscription for good (404 unknown task, 401, 403, 400): no error goes unnoticed.
  const reason = await subscription.finished
  process.stdout.write(`\ndone: ${reason}\n`)
} catch (error) {
  console.error(`error: ${error.code}: ${error.message}`)
  process.exitCode = 1
}
