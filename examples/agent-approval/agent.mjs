// The agent: a loop that thinks out loud into a task, asks a person before it runs a tool, and
// stops in the middle of its LLM call when that person presses Stop. It talks to a standalone
// Taskcast server with @taskcast/server-sdk; the page (server.mjs) is where the person is.
//
//   node agent.mjs      # prints the task id and the page to open, then waits for an answer there
//
// Every wait is on the task itself: `waitForStatus` for the answer, `cancellationSignal` for the
// Stop button. No polling, and nothing of the page's state lives in this process.
import { TaskcastError } from '@taskcast/core'
import { TaskcastServerClient } from '@taskcast/server-sdk'

const baseUrl = process.env.TASKCAST_URL ?? 'http://127.0.0.1:3721'
const pageUrl = process.env.PAGE_URL ?? 'http://127.0.0.1:3000'
const llmUrl = process.env.LLM_URL ?? `${pageUrl}/llm`
// Pause before each word the agent "thinks", as a model producing tokens would.
const delayMs = Number(process.env.DELTA_DELAY_MS ?? 150)

const TOOL_CALL = { tool: 'shell', command: 'du -sh ~/projects/*' }
const THINKING = 'To find what takes the space, I will measure each folder under ~/projects. '
const TOOL_OUTPUT = '412M taskcast, 18M blog, 3M notes. '
const SKIPPED = 'Without measuring, I can only guess. '

const taskcast = new TaskcastServerClient({ baseUrl, token: process.env.TASKCAST_TOKEN })

const task = await taskcast.createTask({ type: 'agent.run', params: { goal: 'Free some disk space' }, ttl: 3600 })
console.log(`created task ${task.id}`)
console.log(`open ${pageUrl}/?task=${encodeURIComponent(task.id)}`)

// Aborts when the task ends through anyone else: here, the page's Stop button (a cancel).
// Handed to every wait and to the LLM call, so that one press stops whatever is in flight.
const stopped = taskcast.cancellationSignal(task.id)

try {
  await taskcast.transitionTask(task.id, 'running')
  console.log('running')
  await say(THINKING)

  // The question travels with the task: any page that opens it, now or later, shows it.
  await taskcast.transitionTask(task.id, 'blocked', { request: { type: 'approval', data: TOOL_CALL } })
  console.log(`waiting for approval: ${TOOL_CALL.tool} ${TOOL_CALL.command}`)
  const answered = await taskcast.waitForStatus(task.id, ['running'], { signal: stopped })
  const approved = answered.resolution?.approved === true
  console.log(approved ? 'approved' : 'denied')
  await say(approved ? TOOL_OUTPUT : SKIPPED)

  console.log('calling the LLM')
  const answer = await callLlm(approved ? TOOL_OUTPUT : SKIPPED)
  await taskcast.transitionTask(task.id, 'completed', { result: { approved, answer } })
  console.log('completed')
} catch (error) {
  const ended = await endedElsewhere(error)
  if (!ended) throw error
  // The task is already over (cancelled by the page): nothing to clean up on its side.
  console.log(`stopped: ${ended.details?.reason ?? ended.message}`)
}

/** Streams text to the page (the accumulate series `answer`). */
async function say(text) {
  for (const word of text.split(/(?<= )/)) {
    stopped.throwIfAborted() // a Stop press ends the loop here
    await new Promise((resolve) => setTimeout(resolve, delayMs))
    await publish(word)
  }
}

/** The long call: the answer streams from the LLM into the task as it comes. */
async function callLlm(context) {
  let answer = ''
  try {
    const response = await fetch(llmUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt: `${THINKING}${context}What should I delete?` }),
      signal: stopped, // a Stop press closes this connection, mid-answer
    })
    if (!response.ok) throw new Error(`the LLM answered ${response.status}`)
    for await (const text of response.body.pipeThrough(new TextDecoderStream())) {
      answer += text
      await publish(text)
    }
    return answer
  } catch (error) {
    if (stopped.aborted) console.log(`llm call aborted after ${answer.length} characters`)
    throw error
  }
}

async function publish(text) {
  try {
    await taskcast.publishEvent(task.id, { type: 'llm.delta', data: { text }, seriesId: 'answer', seriesMode: 'accumulate' })
  } catch (error) {
    // Stop was pressed while this event was on its way: the task is no longer running, and
    // the signal, a moment behind, aborts the call that produced the text.
    if (TaskcastError.isInstance(error) && error.code === 'TASK_NOT_RUNNING') return
    throw error
  }
}

/**
 * The TASK_NOT_RUNNING error (its details hold the reason) when `error` comes from someone else
 * ending the task; undefined for any other failure. An aborted call fails with the signal's
 * reason, and a wait that sees the task end with the same error. A transition of ours that a
 * cancel beat by a hair fails otherwise; waiting on the task then says how it ended.
 */
async function endedElsewhere(error) {
  if (!TaskcastError.isInstance(error)) return undefined
  if (error.code === 'TASK_NOT_RUNNING') return error
  if (error.code !== 'INVALID_TRANSITION' && error.code !== 'CONFLICT') return undefined
  return taskcast.waitForStatus(task.id, ['running', 'blocked'], { signal: stopped }).then(
    () => undefined, // not ended: the failure was something else
    (ended) => endedElsewhere(ended),
  )
}
