// examples/producer-sdk, run as its README says: a standalone `taskcast` in memory, the producer
// (`node producer.mjs`) streaming into a task, and the consumer (`node consumer.mjs <id>`)
// printing exactly the text, whether it joins mid-stream or after the end; errors are loud.
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES_DIR, ExampleProcess, runExample, startTaskcast } from './support/example-process.js'

const DIR = join(EXAMPLES_DIR, 'producer-sdk')
// What producer.mjs streams, delta by delta.
const ANSWER = 'Once upon a time there was a resumable stream.'

let taskcastUrl = ''

beforeAll(async () => {
  taskcastUrl = (await startTaskcast()).url
})

describe('examples/producer-sdk', () => {
  let taskId = ''

  it('the producer streams an answer that the consumer prints exactly, then "done: completed"', async () => {
    const producer = ExampleProcess.start({
      name: 'producer',
      cwd: DIR,
      args: ['producer.mjs'],
      env: { TASKCAST_URL: taskcastUrl, DELTA_DELAY_MS: '100' },
    })
    taskId = (await producer.waitForOutput(/^created task (\S+)$/m))[1]!
    // Started while the producer is still streaming (ten deltas, 100 ms apart).
    const consumer = ExampleProcess.start({ name: 'consumer', cwd: DIR, args: ['consumer.mjs', taskId], env: { TASKCAST_URL: taskcastUrl } })

    const [producerExit, consumerExit] = await Promise.all([producer.exit(), consumer.exit()])
    expect(producerExit, producer.describe()).toEqual({ code: 0, signal: null })
    expect(producer.stdout).toBe(`created task ${taskId}\nrunning\npublished 10 deltas\ncompleted\n`)
    expect(consumerExit, consumer.describe()).toEqual({ code: 0, signal: null })
    expect(consumer.stdout).toBe(`${ANSWER}\ndone: completed\n`)
    expect(consumer.stderr).toBe('')

    // What the server kept.
    const task = (await (await fetch(`${taskcastUrl}/tasks/${taskId}`)).json()) as Record<string, unknown>
    expect(task).toMatchObject({ id: taskId, type: 'llm.chat', status: 'completed', result: { output: ANSWER } })
    const history = (await (
      await fetch(`${taskcastUrl}/tasks/${taskId}/events/history?types=llm.*&includeStatus=false&seriesFormat=accumulated`)
    ).json()) as { index: number; data: { text: string } }[]
    expect(history.map((event) => event.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(history.at(-1)!.data).toEqual({ text: ANSWER })
  })

  it('a consumer that joins after the end prints the same text (one snapshot)', async () => {
    const late = await runExample({ name: 'late consumer', cwd: DIR, args: ['consumer.mjs', taskId], env: { TASKCAST_URL: taskcastUrl } })
    expect(late).toEqual({ code: 0, signal: null, stdout: `${ANSWER}\ndone: completed\n`, stderr: '' })
  })

  it('a consumer of an unknown task fails with TASK_NOT_FOUND and exit code 1', async () => {
    const wrong = await runExample({ name: 'consumer', cwd: DIR, args: ['consumer.mjs', 'no-such-task'], env: { TASKCAST_URL: taskcastUrl } })
    expect(wrong).toEqual({ code: 1, signal: null, stdout: '', stderr: 'error: TASK_NOT_FOUND: task no-such-task not found\n' })
  })

  it('a producer with no server to talk to fails with STORE_UNAVAILABLE and exit code 1', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const alone = await runExample({ name: 'producer', cwd: DIR, args: ['producer.mjs'], env: { TASKCAST_URL: 'http://127.0.0.1:1' } })
    expect(alone.code).toBe(1)
    expect(alone.stdout).toBe('')
    expect(alone.stderr).toMatch(/^error: STORE_UNAVAILABLE: /)
  })

  it('the consumer without a task id prints its usage and exits 2', async () => {
    const usage = await runExample({ name: 'consumer', cwd: DIR, args: ['consumer.mjs'], env: { TASKCAST_URL: taskcastUrl } })
    expect(usage).toEqual({ code: 2, signal: null, stdout: '', stderr: 'usage: node consumer.mjs <task id>\n' })
  })
})
