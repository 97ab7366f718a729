// A worker: takes `report.render` tasks from a standalone Taskcast server, two at a time,
// publishes its progress into each, and completes it with a result. Start as many as you like;
// the server hands each task to exactly one of them.
//
//   node worker.mjs <name>           # pull mode: long-polls of GET /workers/pull
//   node worker.mjs <name> --ws      # WebSocket mode: offers over GET /workers/ws
//
// Each stops on Ctrl-C or SIGTERM, once its tasks are done.
import { setTimeout as sleep } from 'node:timers/promises'
import { TaskcastServerClient } from '@taskcast/server-sdk'
// Node 20 has no stable WebSocket of its own (Node 22 does: there `globalThis.WebSocket` serves).
import WebSocket from 'ws'

const baseUrl = process.env.TASKCAST_URL ?? 'http://127.0.0.1:3721'
// How long one task takes, as a render would.
const workMs = Number(process.env.WORK_MS ?? 100)
const name = process.argv[2]
const mode = process.argv.includes('--ws') ? 'ws' : 'pull'
if (!name) {
  console.error('usage: node worker.mjs <name>')
  process.exit(2)
}

const taskcast = new TaskcastServerClient({ baseUrl, token: process.env.TASKCAST_TOKEN })
let ran = 0

const worker = taskcast.worker({
  workerId: `pool-${name}`,
  mode,
  ...(mode === 'ws' && { WebSocket }),
  types: ['report.*'],
  capacity: 2,
  handler: async (task, { signal, publish }) => {
    const { n } = task.params
    await publish({ type: 'report.progress', data: { percent: 50 } })
    // Handed to whatever the work waits on: it aborts if someone cancels the task meanwhile.
    await sleep(workMs, undefined, { signal })
    ran++
    console.log(`${name} completed ${task.id} (n=${n})`)
    return { worker: name, square: n * n }
  },
  // A failed pull (the server restarting) is retried with a backoff; say so, and go on.
  onError: (error, { during, taskId }) => console.error(`${name}: ${during}${taskId ? ` ${taskId}` : ''}: ${error.code ?? ''} ${error.message}`),
})
console.log(`worker ${name} (${mode}) taking tasks from ${baseUrl}`)

async function shutdown() {
  await worker.stop() // no new task; the ones it runs finish first
  console.log(`worker ${name} stopped after ${ran} tasks`)
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
