// cancellationSignal against a real server over loopback: it aborts, with the task's status and
// the cancel's reason, when the task ends through anyone else; it stays quiet when this client
// ends the task; it is released by its own signal; and it never keeps a Node process alive once
// the task ended or it was released (checked in a child process).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { TaskcastError } from '@taskcast/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { TaskcastServerClient } from '../src/index.js'
import { startTaskcastServer, type TestServer } from '../../client/test/support/taskcast-server.js'
import { abortReason } from './support/settled.js'

let server: TestServer
/** The producer, whose signals are under test. */
let producer: TaskcastServerClient
/** Anyone else: a browser's Stop button, an operator. */
let someoneElse: TaskcastServerClient
/** Called with each request to /slow, once it answered. */
const slowCalls = new Set<() => void>()
beforeAll(async () => {
  server = await startTaskcastServer({
    // An endpoint that answers and then never ends, like a slow LLM call.
    routes: {
      '/slow': () => {
        queueMicrotask(() => [...slowCalls].forEach((called) => called()))
        return new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('thinking')) }))
      },
    },
  })
  producer = new TaskcastServerClient({ baseUrl: server.url })
  someoneElse = new TaskcastServerClient({ baseUrl: server.url })
})
afterAll(() => server.close())

async function runningTask(): Promise<string> {
  const { id } = await producer.createTask({ type: 'agent' })
  await producer.transitionTask(id, 'running')
  return id
}

const streamsOpen = (taskId: string, count: number): Promise<void> => server.sseSettles(() => server.openStreams(taskId) === count)
const sseLog = (taskId: string): string[] => server.sse.filter((entry) => entry.taskId === taskId).map((entry) => entry.kind)

function expectEnded(reason: unknown, details: Record<string, unknown>): void {
  expect(TaskcastError.isInstance(reason)).toBe(true)
  const error = reason as TaskcastError
  expect([error.code, error.details, error.retryable]).toEqual(['TASK_NOT_RUNNING', details, false])
}

describe('cancellationSignal', () => {
  it("aborts with the cancel's reason when someone else cancels, and closes its stream", async () => {
    const id = await runningTask()
    const signal = producer.cancellationSignal(id)
    await streamsOpen(id, 1)
    expect(signal.aborted).toBe(false)
    await someoneElse.cancelTask(id, 'the user pressed Stop')
    const reason = await abortReason(signal)
    expectEnded(reason, { taskId: id, status: 'cancelled', reason: 'the user pressed Stop' })
    expect((reason as Error).message).toBe(`task ${id} is cancelled: the user pressed Stop`)
    await streamsOpen(id, 0)
    expect(sseLog(id)).toEqual(['connect', 'disconnect'])
  })

  it('aborts a fetch it was handed, in the middle of reading the answer', async () => {
    const id = await runningTask()
    const signal = producer.cancellationSignal(id)
    const answer = await fetch(`${server.url}/slow`, { signal })
    const reading = answer.text().catch((error: unknown) => error)
    await streamsOpen(id, 1)
    await someoneElse.cancelTask(id, 'stop')
    const error = await reading
    expect(error).toBe(signal.reason)
    expect((error as TaskcastError).details).toEqual({ taskId: id, status: 'cancelled', reason: 'stop' })
  })

  it('aborts for any end it did not cause: failed by an operator, cancelled while blocked or pending', async () => {
    const failed = await runningTask()
    const failedSignal = producer.cancellationSignal(failed)
    await streamsOpen(failed, 1)
    await server.engine.transitionTask(failed, 'failed', { error: { message: 'operator stopped it' } })
    expectEnded(await abortReason(failedSignal), { taskId: failed, status: 'failed', error: { message: 'operator stopped it' } })

    const blocked = await runningTask()
    await producer.transitionTask(blocked, 'blocked', { request: { type: 'approval' } })
    const blockedSignal = producer.cancellationSignal(blocked)
    await streamsOpen(blocked, 1)
    await someoneElse.cancelTask(blocked)
    expectEnded(await abortReason(blockedSignal), { taskId: blocked, status: 'cancelled' })

    const { id: pending } = await producer.createTask()
    const pendingSignal = producer.cancellationSignal(pending)
    await streamsOpen(pending, 1)
    await someoneElse.cancelTask(pending, 'never mind')
    expectEnded(await abortReason(pendingSignal), { taskId: pending, status: 'cancelled', reason: 'never mind' })
  })

  it('aborts at once for a task that has already ended, and for one deleted while watched', async () => {
    const ended = await runningTask()
    await someoneElse.cancelTask(ended, 'too late')
    expectEnded(await abortReason(producer.cancellationSignal(ended)), { taskId: ended, status: 'cancelled', reason: 'too late' })

    const deleted = await runningTask()
    const signal = producer.cancellationSignal(deleted)
    await streamsOpen(deleted, 1)
    await someoneElse.deleteTask(deleted)
    const reason = await abortReason(signal)
    expect([(reason as TaskcastError).code, (reason as TaskcastError).details?.reason]).toEqual(['TASK_NOT_FOUND', 'deleted'])
  })

  it('does not abort when this client completes, fails or cancels the task itself, and stops watching', async () => {
    const endings = [
      (id: string) => producer.transitionTask(id, 'completed', { result: { ok: true } }),
      (id: string) => producer.transitionTask(id, 'failed', { error: { message: 'gave up' } }),
      (id: string) => producer.cancelTask(id, 'changed my mind'),
    ]
    for (const end of endings) {
      const id = await runningTask()
      const signal = producer.cancellationSignal(id)
      await streamsOpen(id, 1)
      await end(id)
      await streamsOpen(id, 0)
      expect(signal.aborted).toBe(false)
      expect(sseLog(id)).toEqual(['connect', 'disconnect'])
    }
  })

  it("aborts when another client's end wins over this client's own attempt", async () => {
    const id = await runningTask()
    const signal = producer.cancellationSignal(id)
    await streamsOpen(id, 1)
    await someoneElse.transitionTask(id, 'completed')
    // This client asks for the same end too late: the end it sees was not its own.
    const own = await producer.transitionTask(id, 'completed').catch((error: unknown) => error)
    expect((own as TaskcastError).code).toBe('INVALID_TRANSITION')
    expectEnded(await abortReason(signal), { taskId: id, status: 'completed' })
  })

  it('is released by its own signal: the stream closes, and a later cancel aborts nothing', async () => {
    const id = await runningTask()
    const release = new AbortController()
    const signal = producer.cancellationSignal(id, { signal: release.signal })
    await streamsOpen(id, 1)
    release.abort()
    await streamsOpen(id, 0)
    await someoneElse.cancelTask(id)
    expect(signal.aborted).toBe(false)
    expect(sseLog(id)).toEqual(['connect', 'disconnect'])

    const released = new AbortController()
    released.abort()
    const never = producer.cancellationSignal(id, { signal: released.signal })
    expect(never.aborted).toBe(false)
    expect(sseLog(id)).toEqual(['connect', 'disconnect'])
  })
})

const SDK_ENTRY = fileURLToPath(new URL('../dist/index.js', import.meta.url))

/**
 * Runs `body` in a child Node process with `sdk` (a client of the test server) and `taskId` in
 * scope, once the parent writes a line to it. Resolves with what it printed and whether it
 * exited by itself within `withinMs` (it is killed otherwise).
 */
async function inChildProcess(
  taskId: string,
  body: string,
  go: () => Promise<void>,
  withinMs = 5_000,
): Promise<{ exitedByItself: boolean; output: string }> {
  const script = [
    `const { TaskcastServerClient } = await import(${JSON.stringify(SDK_ENTRY)})`,
    `const sdk = new TaskcastServerClient({ baseUrl: ${JSON.stringify(server.url)} })`,
    `const taskId = ${JSON.stringify(taskId)}`,
    `const started = () => new Promise((resolve) => process.stdin.once('data', resolve))`,
    body,
    // Nothing but the watch may hold the process from here on.
    'process.stdin.destroy()',
  ].join('\n')
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(true)))
  await go()
  child.stdin.write('go\n')
  let timer: ReturnType<typeof setTimeout> | undefined
  const exitedByItself = await Promise.race([exited, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), withinMs)))])
  clearTimeout(timer)
  if (!exitedByItself) child.kill()
  return { exitedByItself, output }
}

describe('cancellationSignal and the Node process', () => {
  it('lets the process exit once this client completed the task', async () => {
    const id = await runningTask()
    const run = await inChildProcess(
      id,
      [
        'const signal = sdk.cancellationSignal(taskId)',
        'await started()',
        "await sdk.transitionTask(taskId, 'completed')",
        'console.log(`aborted: ${signal.aborted}`)',
      ].join('\n'),
      () => streamsOpen(id, 1),
    )
    expect(run).toEqual({ exitedByItself: true, output: 'aborted: false\n' })
    expect((await producer.getTask(id))?.status).toBe('completed')
  })

  it('lets the process exit once released, with the task still running', async () => {
    const id = await runningTask()
    const run = await inChildProcess(
      id,
      [
        'const release = new AbortController()',
        'const signal = sdk.cancellationSignal(taskId, { signal: release.signal })',
        'await started()',
        'release.abort()',
        'console.log(`aborted: ${signal.aborted}`)',
      ].join('\n'),
      () => streamsOpen(id, 1),
    )
    expect(run).toEqual({ exitedByItself: true, output: 'aborted: false\n' })
    expect((await producer.getTask(id))?.status).toBe('running')
  })
})

describe("the README's agent example", () => {
  /** The README's snippet as written, with its free names as parameters. */
  async function agent(taskcast: TaskcastServerClient, task: { id: string }, llmUrl: string, prompt: string) {
    const stop = taskcast.cancellationSignal(task.id)
    try {
      await taskcast.transitionTask(task.id, 'blocked', {
        request: { type: 'approval', data: { tool: 'deploy', env: 'prod' } },
      })
      // Resolves once someone calls resolveTask (or client.resolve) with the answer.
      const answered = await taskcast.waitForStatus(task.id, ['running'], { signal: stop })
      const { approved } = answered.resolution as { approved: boolean }

      // A cancel aborts the request, even halfway through reading the answer.
      const response = await fetch(llmUrl, { method: 'POST', body: prompt, signal: stop })
      const text = await response.text()
      await taskcast.transitionTask(task.id, 'completed', { result: { approved, text } })
    } catch (error) {
      if (!TaskcastError.isInstance(error) || error.code !== 'TASK_NOT_RUNNING') throw error
      console.log(`stopped: ${error.details?.status} (${error.details?.reason})`) // "stopped: cancelled (stopped by the user)"
    }
  }

  it('waits for the approval, then stops in the middle of the LLM call on a cancel', async () => {
    const task = await producer.createTask({ type: 'agent' })
    await producer.transitionTask(task.id, 'running')
    const logged: unknown[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void logged.push(line))
    try {
      const llmCalled = new Promise<void>((resolve) => slowCalls.add(resolve))
      const running = agent(producer, task, `${server.url}/slow`, 'Deploy?')
      const blocked = await someoneElse.waitForStatus(task.id, ['blocked'])
      expect(blocked.blockedRequest).toEqual({ type: 'approval', data: { tool: 'deploy', env: 'prod' } })
      await someoneElse.resolveTask(task.id, { approved: true })
      await llmCalled
      await someoneElse.cancelTask(task.id, 'stopped by the user')
      await running
      expect(logged).toEqual(['stopped: cancelled (stopped by the user)'])
    } finally {
      log.mockRestore()
    }
  })
})
