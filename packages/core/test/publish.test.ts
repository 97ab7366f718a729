import { describe, expect, it } from 'vitest'
import { TaskEngine } from '../src/engine/task-engine.js'
import { TaskcastError } from '../src/errors.js'
import { MemoryBroadcastProvider } from '../src/memory/memory-broadcast-provider.js'
import { STATUS_EVENT_TYPE } from '../src/types.js'
import { collect, expectCode, memoryEngine, runningTask } from './helpers.js'

describe('publishing', () => {
  it('gives 20 concurrent publishers × 500 events indexes 1..10000; a subscriber joining mid-stream sees every one once', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    let lateSubscriber: ReturnType<typeof collect> | undefined
    const published = await Promise.all(
      Array.from({ length: 20 }, async (_, publisher) => {
        const indexes: number[] = []
        for (let i = 0; i < 500; i++) {
          const event = await engine.publishEvent(task.id, { type: 'load.tick', data: { publisher, i } })
          indexes.push(event.index)
          if (publisher === 0 && i === 250) lateSubscriber = collect(engine, task.id)
        }
        return indexes
      }),
    )
    await engine.transitionTask(task.id, 'completed')
    const all = published.flat().sort((a, b) => a - b)
    expect(all).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1))
    for (const indexes of published) expect(indexes).toEqual([...indexes].sort((a, b) => a - b))

    expect(await lateSubscriber!.ended).toEqual({ done: 'completed' })
    const seen = lateSubscriber!.envelopes.map((e) => e.rawIndex)
    expect(seen).toEqual(Array.from({ length: 10_002 }, (_, i) => i))
    expect(lateSubscriber!.envelopes.map((e) => e.filteredIndex)).toEqual(seen)
  })

  it('stores a batch with consecutive indexes in one step', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvent(task.id, { type: 'a' })
    const batch = await engine.publishEvents(task.id, [{ type: 'b' }, { type: 'c', level: 'warn' }, { type: 'd', data: [1] }])
    expect(batch.map((e) => [e.index, e.type, e.level])).toEqual([
      [2, 'b', 'info'],
      [3, 'c', 'warn'],
      [4, 'd', 'info'],
    ])
    expect(new Set(batch.map((e) => e.id)).size).toBe(3)
    expect(batch.map((e) => e.id)).toEqual([...batch.map((e) => e.id)].sort())
  })

  it('defaults level to info and data to null', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    const event = await engine.publishEvent(task.id, { type: 'x' })
    expect(event).toMatchObject({ taskId: task.id, index: 1, type: 'x', level: 'info', data: null })
  })

  it('is not affected by the caller mutating its data after publishing', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    const data = { text: 'original' }
    await engine.publishEvent(task.id, { type: 'x', data })
    data.text = 'mutated'
    expect((await engine.getEvents(task.id))[1]!.data).toEqual({ text: 'original' })
  })

  describe('bad input is refused with a code and changes nothing', () => {
    const cases: [string, unknown, string][] = [
      ['an invalid level', { type: 'x', level: 'fatal' }, 'VALIDATION_ERROR'],
      ['the reserved type prefix', { type: 'taskcast:status', data: {} }, 'VALIDATION_ERROR'],
      ['a reserved-prefix custom type', { type: 'taskcast:mine' }, 'VALIDATION_ERROR'],
      ['an empty type', { type: '' }, 'VALIDATION_ERROR'],
      ['a missing type', { data: 1 }, 'VALIDATION_ERROR'],
      ['an unknown field', { type: 'x', colour: 'red' }, 'VALIDATION_ERROR'],
      ['a function in data', { type: 'x', data: { f: () => 1 } }, 'VALIDATION_ERROR'],
      ['a BigInt in data', { type: 'x', data: { n: 10n } }, 'VALIDATION_ERROR'],
      ['NaN in data', { type: 'x', data: [Number.NaN] }, 'VALIDATION_ERROR'],
      ['a Date in data', { type: 'x', data: { at: new Date() } }, 'VALIDATION_ERROR'],
      ['an unknown series mode', { type: 'x', seriesId: 's', seriesMode: 'merge' }, 'VALIDATION_ERROR'],
      ['accumulate without a text field', { type: 'x', seriesId: 's', seriesMode: 'accumulate', data: { n: 1 } }, 'VALIDATION_ERROR'],
    ]
    for (const [what, input, code] of cases) {
      it(`refuses ${what}`, async () => {
        const { engine } = memoryEngine()
        const task = await runningTask(engine)
        const before = await engine.getEvents(task.id)
        await expectCode(engine.publishEvent(task.id, input as never), code)
        await expectCode(engine.publishEvents(task.id, [{ type: 'fine' }, input as never]), code)
        expect(await engine.getEvents(task.id)).toEqual(before)
      })
    }

    it('refuses circular data', async () => {
      const { engine } = memoryEngine()
      const task = await runningTask(engine)
      const data: Record<string, unknown> = {}
      data.self = data
      await expectCode(engine.publishEvent(task.id, { type: 'x', data }), 'VALIDATION_ERROR')
      expect(await engine.getEvents(task.id)).toHaveLength(1)
    })

    it('refuses events for a pending, completed or missing task', async () => {
      const { engine } = memoryEngine()
      const pending = await engine.createTask()
      await expectCode(engine.publishEvent(pending.id, { type: 'x' }), 'TASK_NOT_RUNNING')
      const done = await runningTask(engine)
      await engine.transitionTask(done.id, 'completed')
      await expectCode(engine.publishEvent(done.id, { type: 'x' }), 'TASK_NOT_RUNNING')
      await expectCode(engine.publishEvent('missing', { type: 'x' }), 'TASK_NOT_FOUND')
      expect(await engine.getEvents(pending.id)).toEqual([])
      expect((await engine.getEvents(done.id)).map((e) => e.type)).toEqual([STATUS_EVENT_TYPE, STATUS_EVENT_TYPE])
    })
  })
})

describe('publishing for a caller the task itself admits (publishAdmitted)', () => {
  /** A memory engine whose store counts task reads. */
  function countingEngine(checks = true) {
    const made = memoryEngine()
    let reads = 0
    const getTask = made.store.getTask.bind(made.store)
    made.store.getTask = (id) => {
      reads++
      return getTask(id)
    }
    if (!checks) Object.defineProperty(made.store, 'checksAppendExpectation', { value: false })
    return { ...made, reads: () => reads }
  }

  it('reads the task at most once for many publishes (not at all in the process that created it), admits each, and stores nothing it refuses', async () => {
    const { engine, store, clock, reads } = countingEngine()
    const task = await runningTask(engine, { authConfig: { rules: [] } })
    const seen: unknown[] = []
    const before = reads()
    const elsewhere = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: store, clock })
    await elsewhere.publishAdmitted(task.id, [{ type: 'x' }], () => {})
    await elsewhere.publishAdmitted(task.id, [{ type: 'x' }], () => {})
    expect(reads() - before).toBe(1)
    for (let i = 0; i < 5; i++) {
      const { events } = await engine.publishAdmitted(task.id, [{ type: 'a', data: i }], (facts) => seen.push(facts))
      expect(events[0]!.index).toBe(i + 3)
    }
    expect(reads() - before).toBe(1)
    expect(seen).toEqual(Array.from({ length: 5 }, () => ({ id: task.id, type: undefined, createdAt: task.createdAt, authConfig: { rules: [] } })))
    await expectCode(
      engine.publishAdmitted(task.id, [{ type: 'b' }], () => {
        throw new TaskcastError('FORBIDDEN', 'no')
      }),
      'FORBIDDEN',
    )
    expect((await engine.getEvents(task.id)).map((e) => e.type)).toEqual([STATUS_EVENT_TYPE, 'x', 'x', 'a', 'a', 'a', 'a', 'a'])
    await expectCode(engine.publishAdmitted('missing', [{ type: 'a' }], () => {}), 'TASK_NOT_FOUND')
  })

  it('admits the task created again under the id anew, whoever deleted the first', async () => {
    const { engine, store, clock, reads } = countingEngine()
    const first = await runningTask(engine, { id: 'reused' })
    await engine.publishAdmitted('reused', [{ type: 'a' }], () => {})
    // Another process's engine on the same store deletes it and creates it again, later.
    const other = new TaskEngine({ broadcast: new MemoryBroadcastProvider(), shortTermStore: store, clock })
    await clock.advance(5)
    await other.deleteTask('reused')
    await other.createTask({ id: 'reused', type: 'second' })
    await other.transitionTask('reused', 'running')
    const admitted: unknown[] = []
    const before = reads()
    const { events } = await engine.publishAdmitted('reused', [{ type: 'b' }], (facts) => admitted.push([facts.type, facts.createdAt]))
    expect(admitted).toEqual([
      [undefined, first.createdAt],
      ['second', first.createdAt + 5],
    ])
    expect(reads() - before).toBe(1)
    expect(events.map((e) => [e.index, e.type])).toEqual([[1, 'b']])
  })

  it('reads the task every time when the store cannot confirm what is remembered', async () => {
    const { engine, reads } = countingEngine(false)
    const task = await runningTask(engine)
    const before = reads()
    for (let i = 0; i < 3; i++) await engine.publishAdmitted(task.id, [{ type: 'a' }], () => {})
    expect(reads() - before).toBe(3)
  })
})

describe('creating tasks', () => {
  it('creates a pending task with a ULID and no event', async () => {
    const { engine, clock } = memoryEngine()
    const task = await engine.createTask({ type: 'llm.chat', params: { prompt: 'hi' }, metadata: { user: 'u1' }, ttl: 60 })
    expect(task).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      type: 'llm.chat',
      status: 'pending',
      params: { prompt: 'hi' },
      metadata: { user: 'u1' },
      ttl: 60,
      createdAt: clock.now(),
      updatedAt: clock.now(),
    })
    expect(await engine.getTask(task.id)).toEqual(task)
    expect(await engine.getEvents(task.id)).toEqual([])
  })

  it('refuses a duplicate id and keeps the first task', async () => {
    const { engine } = memoryEngine()
    const first = await engine.createTask({ id: 'job-1', type: 'a' })
    await expectCode(engine.createTask({ id: 'job-1', type: 'b' }), 'DUPLICATE_TASK')
    expect(await engine.getTask('job-1')).toEqual(first)
  })

  const bad: [string, unknown][] = [
    ['ttl 0', { ttl: 0 }],
    ['negative ttl', { ttl: -5 }],
    ['ttl as a string', { ttl: '60' }],
    ['an unknown field', { colour: 'red' }],
    ['params that are not an object', { params: [1, 2] }],
    ['an id with a slash', { id: 'a/b' }],
    ['an empty id', { id: '' }],
    ['a webhook with a non-http URL', { webhooks: [{ url: 'file:///etc/passwd' }] }],
    ['a cleanup rule with an unknown target', { cleanup: { rules: [{ trigger: {}, target: 'everything' }] } }],
  ]
  for (const [what, input] of bad) {
    it(`refuses ${what}`, async () => {
      const { engine } = memoryEngine()
      await expectCode(engine.createTask(input as never), 'VALIDATION_ERROR')
    })
  }
})

describe('deleting tasks', () => {
  it('deletes a task and its events, and reports whether it existed', async () => {
    const { engine } = memoryEngine()
    const task = await runningTask(engine)
    await engine.publishEvent(task.id, { type: 'x' })
    expect(await engine.deleteTask(task.id)).toBe(true)
    expect(await engine.getTask(task.id)).toBeNull()
    await expectCode(engine.getEvents(task.id), 'TASK_NOT_FOUND')
    expect(await engine.deleteTask(task.id)).toBe(false)
  })
})
