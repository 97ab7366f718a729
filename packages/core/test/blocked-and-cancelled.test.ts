// The engine's human-in-the-loop and cancellation API (SPEC §16, §17): resolveTask, cancelTask,
// what a transition carries (reason, request) and how it is checked, TTL while suspended, and
// subscribers that stay through a suspension.
import { describe, expect, it } from 'vitest'
import { MemoryLongTermStore } from '../src/memory/memory-long-term-store.js'
import { MAX_REASON_BYTES, MAX_REQUEST_BYTES } from '../src/validation.js'
import type { Task, TaskStatus } from '../src/types.js'
import { STATUS_EVENT_TYPE } from '../src/types.js'
import { statusDraft } from '../src/testing/fixtures.js'
import { collect, expectCode, memoryEngine, runningTask } from './helpers.js'

const QUESTION = { type: 'approval', data: { tool: 'deploy', env: 'prod' } }

type Engine = ReturnType<typeof memoryEngine>

/** A new task in `status`; `assigned` is set on the store, as worker assignment (§18) will. */
async function taskIn({ engine, store }: Engine, status: TaskStatus): Promise<Task> {
  const task = await engine.createTask()
  if (status === 'assigned') {
    await store.transitionTask(task.id, { from: 'pending', patch: { status, updatedAt: task.createdAt }, event: statusDraft(task.id, status, 'pending') })
  } else if (status !== 'pending') {
    await engine.transitionTask(task.id, 'running')
    if (status !== 'running') await engine.transitionTask(task.id, status, status === 'blocked' ? { request: QUESTION } : {})
  }
  return (await engine.getTask(task.id))!
}

async function unchanged(harness: Engine, task: Task, events: unknown[]): Promise<void> {
  expect(await harness.engine.getTask(task.id)).toEqual(task)
  expect(await harness.engine.getEvents(task.id)).toEqual(events)
}

describe('resolveTask', () => {
  it('moves a blocked task to running with the answer on the task and in the status event', async () => {
    const transitions: string[] = []
    const harness = memoryEngine({ hooks: { onTaskTransition: (task, from, to) => void transitions.push(`${from}>${to}`) } })
    const task = await taskIn(harness, 'blocked')
    expect(task.blockedRequest).toEqual(QUESTION)
    const resumed = await harness.engine.resolveTask(task.id, { approved: true, note: 'ship it' })
    const { blockedRequest: _question, ...rest } = task
    expect(resumed).toStrictEqual({ ...rest, status: 'running', resolution: { approved: true, note: 'ship it' } })
    const [, blocked, resolved] = await harness.engine.getEvents(task.id)
    expect(blocked!.data).toEqual({ status: 'blocked', previousStatus: 'running', request: QUESTION })
    expect(resolved).toMatchObject({ index: 2, type: STATUS_EVENT_TYPE, level: 'info' })
    expect(resolved!.data).toEqual({ status: 'running', previousStatus: 'blocked', resolution: { approved: true, note: 'ship it' } })
    expect(transitions).toEqual(['pending>running', 'running>blocked', 'blocked>running'])
  })

  it('needs an answer that is JSON, and changes nothing without one', async () => {
    const harness = memoryEngine()
    const task = await taskIn(harness, 'blocked')
    const events = await harness.engine.getEvents(task.id)
    await expectCode(harness.engine.resolveTask(task.id, undefined), 'VALIDATION_ERROR')
    await expectCode(harness.engine.resolveTask(task.id, { when: new Date() }), 'VALIDATION_ERROR')
    await expectCode(harness.engine.resolveTask(task.id, Number.NaN), 'VALIDATION_ERROR')
    await unchanged(harness, task, events)
  })

  it('is INVALID_TRANSITION for an archived task and TASK_NOT_FOUND for an unknown one', async () => {
    const longTermStore = new MemoryLongTermStore()
    const harness = memoryEngine({ longTermStore })
    const task = await runningTask(harness.engine)
    await longTermStore.saveTask({ ...(await harness.engine.getTask(task.id))!, status: 'completed' })
    await harness.store.deleteTask(task.id)
    await expectCode(harness.engine.resolveTask(task.id, 'yes'), 'INVALID_TRANSITION')
    await expectCode(harness.engine.resolveTask('no-such-task', 'yes'), 'TASK_NOT_FOUND')
  })

  it('answers a loser of a race CONFLICT when it read the task blocked', async () => {
    const harness = memoryEngine()
    const task = await taskIn(harness, 'blocked')
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => harness.engine.resolveTask(task.id, i)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    // The memory store answers in order: every loser read `blocked` before the winner wrote.
    expect(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : []))).toEqual(Array(19).fill('CONFLICT'))
    await expectCode(harness.engine.resolveTask(task.id, 'late'), 'INVALID_TRANSITION')
    expect((await harness.engine.getEvents(task.id)).map((e) => (e.data as { status: string }).status)).toEqual(['running', 'blocked', 'running'])
  })
})

describe('cancelTask', () => {
  for (const status of ['pending', 'assigned', 'running', 'paused', 'blocked'] as const) {
    it(`cancels a ${status} task, with the reason in its status event`, async () => {
      const harness = memoryEngine()
      const task = await taskIn(harness, status)
      const cancelled = await harness.engine.cancelTask(task.id, 'user pressed stop')
      expect(cancelled).toMatchObject({ status: 'cancelled', completedAt: task.createdAt })
      expect(cancelled).not.toHaveProperty('blockedRequest')
      expect(cancelled).not.toHaveProperty('reason')
      const events = await harness.engine.getEvents(task.id)
      expect(events.at(-1)!.data).toEqual({ status: 'cancelled', previousStatus: status, reason: 'user pressed stop' })
      // Cancelled means stopped: the producer's next publish is refused.
      await expectCode(harness.engine.publishEvent(task.id, { type: 'llm.delta' }), 'TASK_NOT_RUNNING')
    })
  }

  it('cancels without a reason', async () => {
    const harness = memoryEngine()
    const task = await taskIn(harness, 'running')
    await harness.engine.cancelTask(task.id)
    expect((await harness.engine.getEvents(task.id)).at(-1)!.data).toEqual({ status: 'cancelled', previousStatus: 'running' })
  })

  for (const status of ['completed', 'failed', 'timeout', 'cancelled'] as const) {
    it(`is INVALID_TRANSITION for a ${status} task`, async () => {
      const harness = memoryEngine()
      const task = await taskIn(harness, 'running')
      await harness.engine.transitionTask(task.id, status)
      const ended = (await harness.engine.getTask(task.id))!
      const events = await harness.engine.getEvents(task.id)
      await expectCode(harness.engine.cancelTask(task.id, 'too late'), 'INVALID_TRANSITION')
      await unchanged(harness, ended, events)
    })
  }
})

describe('what a transition carries', () => {
  it(`takes a reason of up to ${MAX_REASON_BYTES} bytes of UTF-8 on any move`, async () => {
    const harness = memoryEngine()
    const task = await taskIn(harness, 'running')
    const events = await harness.engine.getEvents(task.id)
    // 'é' takes two bytes: 513 of them are 1026 bytes though only 513 characters.
    await expectCode(harness.engine.transitionTask(task.id, 'paused', { reason: 'é'.repeat(513) }), 'VALIDATION_ERROR')
    await expectCode(harness.engine.transitionTask(task.id, 'paused', { reason: '' }), 'VALIDATION_ERROR')
    await expectCode(harness.engine.transitionTask(task.id, 'paused', { reason: 7 as unknown as string }), 'VALIDATION_ERROR')
    await unchanged(harness, task, events)
    await harness.engine.transitionTask(task.id, 'paused', { reason: 'é'.repeat(512) })
    await harness.engine.transitionTask(task.id, 'running', { reason: 'rate limit lifted' })
    expect((await harness.engine.getEvents(task.id)).slice(1).map((e) => e.data)).toEqual([
      { status: 'paused', previousStatus: 'running', reason: 'é'.repeat(512) },
      { status: 'running', previousStatus: 'paused', reason: 'rate limit lifted' },
    ])
  })

  it(`takes a request only with blocked, of at most ${MAX_REQUEST_BYTES} bytes as JSON`, async () => {
    const harness = memoryEngine()
    const task = await taskIn(harness, 'running')
    const events = await harness.engine.getEvents(task.id)
    const refused = [
      ['paused', { request: QUESTION }],
      ['completed', { request: QUESTION }],
      ['blocked', { request: { data: 1 } }],
      ['blocked', { request: { type: '' } }],
      ['blocked', { request: { type: 'approval', colour: 'red' } }],
      ['blocked', { request: 'approve?' }],
      ['blocked', { request: { type: 'approval', data: { at: new Date() } } }],
      // {"type":"big","data":"…"} is 24 bytes around the data.
      ['blocked', { request: { type: 'big', data: 'x'.repeat(MAX_REQUEST_BYTES - 23) } }],
      ['blocked', { colour: 'red' }],
    ] as const
    for (const [status, payload] of refused) {
      await expectCode(harness.engine.transitionTask(task.id, status, payload as never), 'VALIDATION_ERROR')
    }
    await unchanged(harness, task, events)
    const largest = { type: 'big', data: 'x'.repeat(MAX_REQUEST_BYTES - 24) }
    expect(JSON.stringify(largest)).toHaveLength(MAX_REQUEST_BYTES)
    expect((await harness.engine.transitionTask(task.id, 'blocked', { request: largest })).blockedRequest).toEqual(largest)
  })

  it('blocks without a request too (a wait on something other than a person)', async () => {
    const harness = memoryEngine()
    const task = await taskIn(harness, 'running')
    const blocked = await harness.engine.transitionTask(task.id, 'blocked', { reason: 'waiting for the CI run' })
    expect(blocked).not.toHaveProperty('blockedRequest')
    expect((await harness.engine.getEvents(task.id)).at(-1)!.data).toEqual({ status: 'blocked', previousStatus: 'running', reason: 'waiting for the CI run' })
  })

  it('lets the producer leave blocked itself, which clears the question and gives no resolution', async () => {
    const harness = memoryEngine()
    for (const to of ['running', 'failed', 'cancelled'] as const) {
      const task = await taskIn(harness, 'blocked')
      const left = await harness.engine.transitionTask(task.id, to, to === 'failed' ? { error: { message: 'no answer' } } : {})
      expect(left.status).toBe(to)
      expect(left).not.toHaveProperty('blockedRequest')
      expect(left).not.toHaveProperty('resolution')
    }
  })
})

describe('TTL while suspended', () => {
  it('keeps the deadline of a blocked task running and times it out, clearing the question', async () => {
    const harness = memoryEngine()
    const { engine, clock } = harness
    const task = await runningTask(engine, { ttl: 30 })
    await clock.advance(10_000)
    await engine.transitionTask(task.id, 'blocked', { request: QUESTION })
    await clock.advance(19_999)
    expect((await engine.getTask(task.id))!.status).toBe('blocked')
    await clock.advance(1)
    const expired = (await engine.getTask(task.id))!
    expect(expired).toMatchObject({ status: 'timeout', error: { code: 'TTL_EXPIRED' }, completedAt: task.createdAt + 30_000 })
    expect(expired).not.toHaveProperty('blockedRequest')
    expect((await engine.getEvents(task.id)).map((e) => e.data)).toEqual([
      { status: 'running', previousStatus: 'pending' },
      { status: 'blocked', previousStatus: 'running', request: QUESTION },
      { status: 'timeout', previousStatus: 'blocked', error: expired.error },
    ])
  })

  it('does not restart the deadline on a pause, a resume or a resolution', async () => {
    const { engine, clock } = memoryEngine()
    const task = await runningTask(engine, { ttl: 30 })
    await clock.advance(5000)
    await engine.transitionTask(task.id, 'paused')
    await clock.advance(5000)
    await engine.transitionTask(task.id, 'running')
    await engine.transitionTask(task.id, 'blocked', { request: QUESTION })
    await clock.advance(5000)
    await engine.resolveTask(task.id, 'ok')
    await clock.advance(14_999)
    expect((await engine.getTask(task.id))!.status).toBe('running')
    await clock.advance(1)
    expect(await engine.getTask(task.id)).toMatchObject({ status: 'timeout', completedAt: task.createdAt + 30_000, resolution: 'ok' })
  })
})

describe('subscribers through a suspension', () => {
  it('see the request and the resolution and stay until the task ends; a late joiner replays the same', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    const early = collect(engine, task.id)
    await early.live
    await engine.publishEvent(task.id, { type: 'llm.delta', data: { text: 'May I deploy?' } })
    await engine.transitionTask(task.id, 'blocked', { request: QUESTION })
    await engine.resolveTask(task.id, { approved: true })
    await engine.transitionTask(task.id, 'paused', { reason: 'rate limited' })
    await engine.transitionTask(task.id, 'running')
    await engine.publishEvent(task.id, { type: 'llm.delta', data: { text: 'Deployed.' } })
    await engine.transitionTask(task.id, 'completed')
    expect(await early.ended).toEqual({ done: 'completed' })
    const late = collect(engine, task.id)
    expect(await late.ended).toEqual({ done: 'completed' })
    const expected = [
      [0, { status: 'running', previousStatus: 'pending' }],
      [1, { text: 'May I deploy?' }],
      [2, { status: 'blocked', previousStatus: 'running', request: QUESTION }],
      [3, { status: 'running', previousStatus: 'blocked', resolution: { approved: true } }],
      [4, { status: 'paused', previousStatus: 'running', reason: 'rate limited' }],
      [5, { status: 'running', previousStatus: 'paused' }],
      [6, { text: 'Deployed.' }],
      [7, { status: 'completed', previousStatus: 'running' }],
    ]
    expect(early.envelopes.map((e) => [e.filteredIndex, e.data])).toEqual(expected)
    expect(late.envelopes.map((e) => [e.filteredIndex, e.data])).toEqual(expected)
  })
})
