import { describe, expect, it } from 'vitest'
// The table of SPEC §2 as a pure function; every move through an engine over each store is in
// the short-term store contract (src/testing/short-term-store-lifecycle.ts).
import { canTransition, isSuspendedStatus, isTerminalStatus } from '../src/state-machine.js'
import { EXPECTED_TERMINAL, expectedTransition } from '../src/testing/transition-table.js'
import { STATUS_EVENT_TYPE, TASK_STATUSES, type TaskStatus } from '../src/types.js'
import { expectCode, memoryEngine, runningTask } from './helpers.js'

describe('state machine', () => {
  for (const from of TASK_STATUSES) {
    for (const to of TASK_STATUSES) {
      const expected = expectedTransition(from, to)
      it(`${expected ?? 'never'}: ${from} → ${to}`, () => {
        expect({
          api: canTransition(from, to),
          ttl: canTransition(from, to, { by: 'ttl' }),
          worker: canTransition(from, to, { by: 'worker' }),
        }).toEqual({
          api: expected === 'api' || expected === 'api or worker',
          // A TTL only ever times a task out, from any status that has not ended.
          ttl: to === 'timeout' && expected !== undefined,
          worker: expected === 'worker only' || expected === 'api or worker',
        })
      })
    }
  }

  it('knows the terminal and the suspended statuses', () => {
    expect(TASK_STATUSES.filter(isTerminalStatus)).toEqual(EXPECTED_TERMINAL)
    expect(TASK_STATUSES.filter(isSuspendedStatus)).toEqual(['paused', 'blocked'])
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
