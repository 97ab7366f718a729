import { describe, expect, it } from 'vitest'
import { canTransition, isTerminalStatus } from '../src/state-machine.js'
import { STATUS_EVENT_TYPE, TASK_STATUSES, type TaskStatus } from '../src/types.js'
import { expectCode, memoryEngine, runningTask } from './helpers.js'

const ALLOWED: ReadonlySet<string> = new Set([
  'pending>running',
  'pending>cancelled',
  'running>completed',
  'running>failed',
  'running>timeout',
  'running>cancelled',
])

/** Puts a new task into `status` through allowed transitions. */
async function taskIn(engine: ReturnType<typeof memoryEngine>['engine'], status: TaskStatus) {
  const task = await engine.createTask()
  if (status === 'pending') return task
  if (status === 'cancelled') {
    await engine.transitionTask(task.id, 'cancelled')
    return task
  }
  await engine.transitionTask(task.id, 'running')
  if (status !== 'running') await engine.transitionTask(task.id, status)
  return task
}

describe('state machine', () => {
  for (const from of TASK_STATUSES) {
    for (const to of TASK_STATUSES) {
      const allowed = ALLOWED.has(`${from}>${to}`)
      it(`${allowed ? 'allows' : 'refuses'} ${from} → ${to} through the API`, async () => {
        const { engine } = memoryEngine()
        const task = await taskIn(engine, from)
        const before = await engine.getEvents(task.id)
        if (allowed) {
          const updated = await engine.transitionTask(task.id, to)
          expect(updated.status).toBe(to)
          const events = await engine.getEvents(task.id)
          expect(events.slice(before.length)).toMatchObject([
            { type: STATUS_EVENT_TYPE, level: 'info', index: before.length, data: { status: to, previousStatus: from } },
          ])
          expect(updated.completedAt !== undefined).toBe(isTerminalStatus(to))
        } else {
          await expectCode(engine.transitionTask(task.id, to), 'INVALID_TRANSITION')
          expect((await engine.getTask(task.id))!.status).toBe(from)
          expect(await engine.getEvents(task.id)).toEqual(before)
        }
      })
    }
  }

  it('allows pending → timeout only for an expired TTL', () => {
    expect(canTransition('pending', 'timeout')).toBe(false)
    expect(canTransition('pending', 'timeout', { byTtl: true })).toBe(true)
  })

  it('lets exactly one of 50 concurrent terminal transitions win; the rest get CONFLICT', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    const targets: TaskStatus[] = ['completed', 'failed', 'cancelled', 'timeout']
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => engine.transitionTask(task.id, targets[i % 4]!)),
    )
    const won = results.filter((r) => r.status === 'fulfilled')
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : []))
    expect(won).toHaveLength(1)
    expect(codes).toEqual(Array(49).fill('CONFLICT'))
    const statusEvents = (await engine.getEvents(task.id)).filter((e) => e.type === STATUS_EVENT_TYPE)
    expect(statusEvents.map((e) => (e.data as { status: string }).status)).toEqual([
      'running',
      (won[0] as PromiseFulfilledResult<{ status: string }>).value.status,
    ])
  })

  it('stores the result of a completed task and the error of a failed one', async () => {
    const { engine } = memoryEngine()
    const a = await runningTask(engine)
    const done = await engine.transitionTask(a.id, 'completed', { result: { output: 'x' } })
    expect(done.result).toEqual({ output: 'x' })
    const b = await runningTask(engine)
    const failed = await engine.transitionTask(b.id, 'failed', { error: { code: 'LLM_DOWN', message: 'upstream 503' } })
    expect(failed.error).toEqual({ code: 'LLM_DOWN', message: 'upstream 503' })
    const [, status] = await engine.getEvents(b.id)
    expect(status!.data).toEqual({ status: 'failed', previousStatus: 'running', error: { code: 'LLM_DOWN', message: 'upstream 503' } })
  })

  it('refuses an unknown status, a result on failure and a missing task', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    await expectCode(engine.transitionTask(task.id, 'done' as TaskStatus), 'VALIDATION_ERROR')
    await expectCode(engine.transitionTask(task.id, 'failed', { result: { x: 1 } }), 'VALIDATION_ERROR')
    await expectCode(engine.transitionTask('nope', 'running'), 'TASK_NOT_FOUND')
    expect((await engine.getTask(task.id))!.status).toBe('running')
    expect(await engine.getEvents(task.id)).toHaveLength(1)
  })
})
