// Part of the short-term store contract: the task lifecycle of SPEC §2 and §16, run by an
// engine over the store under test. The engine decides which moves are allowed; the store
// makes each one a compare-and-set that sets and removes task fields and appends the status
// event in one step. So every move of the table, allowed or refused, is checked per adapter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TaskEngine } from '../engine/task-engine.js'
import { TaskcastError } from '../errors.js'
import { MemoryBroadcastProvider } from '../memory/memory-broadcast-provider.js'
import type { ShortTermStore } from '../storage/short-term-store.js'
import type { Task, TaskStatus, TransitionPayload } from '../types.js'
import { STATUS_EVENT_TYPE, TASK_STATUSES } from '../types.js'
import { statusDraft } from './fixtures.js'
import { ManualClock } from './manual-clock.js'
import { EXPECTED_TERMINAL, expectedTransition } from './transition-table.js'

const DAY_MS = 24 * 3600 * 1000

/** The moves that bring a new task to each status. */
const PATH: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: [],
  assigned: ['assigned'],
  running: ['running'],
  paused: ['running', 'paused'],
  blocked: ['running', 'blocked'],
  completed: ['running', 'completed'],
  failed: ['running', 'failed'],
  timeout: ['running', 'timeout'],
  cancelled: ['running', 'cancelled'],
}

const QUESTION = { type: 'approval', data: { tool: 'shell', command: 'rm -rf build/', options: ['yes', 'no'] } }

/** What the move under test carries: a reason always, and what its target status takes. */
function payloadFor(from: TaskStatus, to: TaskStatus): TransitionPayload {
  const reason = `${from} to ${to}`
  if (to === 'completed') return { result: { answer: 42 }, reason }
  if (to === 'failed') return { error: { code: 'E_TEST', message: 'boom' }, reason }
  if (to === 'blocked') return { request: QUESTION, reason }
  return { reason }
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(TaskcastError.isInstance(error), `expected a TaskcastError, got ${String(error)}`).toBe(true)
  return (error as TaskcastError).code
}

export function describeLifecycleOverStore(getStore: () => ShortTermStore): void {
  describe('task lifecycle run by an engine over the store (SPEC §2)', () => {
    let engine: TaskEngine
    const clock = new ManualClock(Date.now())
    const timeouts = new Map<string, (task: Task) => void>()

    beforeAll(() => {
      engine = new TaskEngine({
        broadcast: new MemoryBroadcastProvider(),
        shortTermStore: getStore(),
        clock,
        // Only this engine's own timers fire deadlines here, when a test moves the clock.
        deadlinePollMs: DAY_MS,
        hooks: { onTaskTimeout: (task) => timeouts.get(task.id)?.(task) },
      })
    })
    afterAll(() => engine.stop())

    /** A new task brought to `status`; `assigned` is set on the store, as worker assignment (§18) will. */
    async function taskIn(status: TaskStatus, ttl?: number): Promise<Task> {
      const task = await engine.createTask(ttl === undefined ? {} : { ttl })
      for (const step of PATH[status]) {
        if (step === 'assigned') {
          const outcome = await getStore().transitionTask(task.id, {
            from: 'pending',
            patch: { status: 'assigned', updatedAt: clock.now() },
            event: statusDraft(task.id, 'assigned', 'pending'),
          })
          expect(outcome?.task.status).toBe('assigned')
        } else {
          await engine.transitionTask(task.id, step, step === 'blocked' ? { request: QUESTION } : {})
        }
      }
      return (await engine.getTask(task.id))!
    }

    for (const from of TASK_STATUSES) {
      for (const to of TASK_STATUSES) {
        const cause = expectedTransition(from, to)
        const allowed = cause === 'api' || cause === 'api or worker'
        it(`${allowed ? 'makes' : 'refuses'} ${from} → ${to} through the API${cause && !allowed ? ` (${cause})` : ''}`, async () => {
          const task = await taskIn(from)
          const before = await engine.getEvents(task.id)
          const payload = payloadFor(from, to)
          if (!allowed) {
            expect(await codeOf(engine.transitionTask(task.id, to, payload))).toBe('INVALID_TRANSITION')
            expect(await engine.getTask(task.id)).toEqual(task)
            expect(await engine.getEvents(task.id)).toEqual(before)
            return
          }
          const moved = await engine.transitionTask(task.id, to, payload)
          const terminal = EXPECTED_TERMINAL.includes(to)
          const { blockedRequest: _question, ...rest } = task
          // Strict: a field left behind as `undefined` counts (the question must be gone).
          expect(moved).toStrictEqual({
            ...rest,
            status: to,
            updatedAt: clock.now(),
            ...(terminal && { completedAt: clock.now() }),
            ...(payload.result && { result: payload.result }),
            ...(payload.error && { error: payload.error }),
            ...(to === 'blocked' && { blockedRequest: QUESTION }),
          })
          expect(await engine.getTask(task.id)).toStrictEqual(moved)
          const events = await engine.getEvents(task.id)
          expect(events.slice(0, before.length)).toEqual(before)
          expect(events.slice(before.length)).toMatchObject([{ index: before.length, type: STATUS_EVENT_TYPE, level: 'info' }])
          expect(events[before.length]!.data).toEqual({ status: to, previousStatus: from, ...payload })
        })
      }
    }

    for (const from of TASK_STATUSES.filter((status) => expectedTransition(status, 'timeout') !== undefined)) {
      it(`times a ${from} task out when its TTL expires, clearing what it waited on`, async () => {
        const task = await taskIn(from, 1)
        const timedOut = new Promise<Task>((resolve) => timeouts.set(task.id, resolve))
        const before = await engine.getEvents(task.id)
        await clock.advance(1000)
        const expired = await timedOut
        expect(expired).toMatchObject({ status: 'timeout', error: { code: 'TTL_EXPIRED' }, completedAt: task.createdAt + 1000 })
        expect(expired).not.toHaveProperty('blockedRequest')
        expect(await engine.getTask(task.id)).toEqual(expired)
        const events = await engine.getEvents(task.id)
        expect(events).toHaveLength(before.length + 1)
        expect(events.at(-1)!.data).toEqual({ status: 'timeout', previousStatus: from, error: expired.error })
      })
    }

    it('refuses user events in every status but running, storing nothing', async () => {
      for (const status of TASK_STATUSES.filter((s) => s !== 'running')) {
        const task = await taskIn(status)
        const before = await engine.getEvents(task.id)
        expect([status, await codeOf(engine.publishEvent(task.id, { type: 'llm.delta', data: 'x' }))]).toEqual([status, 'TASK_NOT_RUNNING'])
        expect(await engine.getEvents(task.id)).toEqual(before)
      }
    })

    it('resolves a blocked task: the answer stays as the last resolution, the question goes', async () => {
      const task = await taskIn('blocked')
      expect(task.blockedRequest).toEqual(QUESTION)
      const resumed = await engine.resolveTask(task.id, { approved: true })
      expect(resumed).toMatchObject({ status: 'running', resolution: { approved: true } })
      expect(resumed).not.toHaveProperty('blockedRequest')
      await engine.publishEvent(task.id, { type: 'tool.result', data: 'ok' })
      const second = { type: 'choice', data: ['a', 'b'] }
      expect((await engine.transitionTask(task.id, 'blocked', { request: second })).blockedRequest).toEqual(second)
      // A JSON null is an answer like any other.
      const again = await engine.resolveTask(task.id, null)
      expect(again).toHaveProperty('resolution', null)
      expect(await engine.getTask(task.id)).toEqual(again)
      const statusData = (await engine.getEvents(task.id)).filter((e) => e.type === STATUS_EVENT_TYPE).map((e) => e.data)
      expect(statusData).toEqual([
        { status: 'running', previousStatus: 'pending' },
        { status: 'blocked', previousStatus: 'running', request: QUESTION },
        { status: 'running', previousStatus: 'blocked', resolution: { approved: true } },
        { status: 'blocked', previousStatus: 'running', request: second },
        { status: 'running', previousStatus: 'blocked', resolution: null },
      ])
    })

    it('refuses to resolve a task that is not blocked, changing nothing', async () => {
      for (const status of TASK_STATUSES.filter((s) => s !== 'blocked')) {
        const task = await taskIn(status)
        const before = await engine.getEvents(task.id)
        expect([status, await codeOf(engine.resolveTask(task.id, { approved: true }))]).toEqual([status, 'INVALID_TRANSITION'])
        expect(await engine.getTask(task.id)).toEqual(task)
        expect(await engine.getEvents(task.id)).toEqual(before)
      }
    })

    it('lets exactly one of 20 concurrent resolutions win, with one status event', async () => {
      const task = await taskIn('blocked')
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => engine.resolveTask(task.id, { racer: i })))
      const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [i] : []))
      expect(winners).toHaveLength(1)
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(['CONFLICT', 'INVALID_TRANSITION']).toContain((outcome.reason as TaskcastError).code)
      }
      expect((await engine.getTask(task.id))!.resolution).toEqual({ racer: winners[0] })
      const events = await engine.getEvents(task.id)
      expect(events.map((e) => (e.data as { status: string }).status)).toEqual(['running', 'blocked', 'running'])
      expect(events[2]!.data).toEqual({ status: 'running', previousStatus: 'blocked', resolution: { racer: winners[0] } })
    })

    it('stores the events published around a block in one index sequence with the status events', async () => {
      const task = await taskIn('running')
      await engine.publishEvent(task.id, { type: 'llm.delta', data: { text: 'May I' } })
      await engine.transitionTask(task.id, 'blocked', { request: QUESTION })
      await engine.resolveTask(task.id, 'yes')
      await engine.publishEvent(task.id, { type: 'llm.delta', data: { text: 'Done' } })
      const events = await engine.getEvents(task.id)
      expect(events.map((e) => [e.index, e.type])).toEqual([
        [0, STATUS_EVENT_TYPE],
        [1, 'llm.delta'],
        [2, STATUS_EVENT_TYPE],
        [3, STATUS_EVENT_TYPE],
        [4, 'llm.delta'],
      ])
    })
  })
}
