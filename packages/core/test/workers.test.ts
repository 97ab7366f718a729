// Assignment of pending tasks to workers (SPEC §18) in the engine: oldest first, types and tags,
// exactly one winner, leases that bring an unstarted task back, giving a task back.
import { describe, expect, it } from 'vitest'
import { MemoryBroadcastProvider } from '../src/index.js'
import { DEFAULT_LEASE_MS, STATUS_EVENT_TYPE } from '../src/types.js'
import type { WorkerListing } from '../src/worker-match.js'
import { expectCode, memoryEngine } from './helpers.js'

describe('claimTask', () => {
  it('hands out the oldest pending task created with assign, once, with the worker named', async () => {
    const { engine, clock } = memoryEngine()
    await engine.createTask({ type: 'job' })
    await clock.advance(1)
    const first = await engine.createTask({ type: 'job', assign: {} })
    await clock.advance(1)
    const second = await engine.createTask({ type: 'job', assign: {} })
    const taken = await engine.claimTask({ workerId: 'w1' })
    expect(taken).toMatchObject({ id: first.id, status: 'assigned', assignedTo: { workerId: 'w1', at: clock.now() } })
    expect((await engine.claimTask({ workerId: 'w2' }))?.id).toBe(second.id)
    expect(await engine.claimTask({ workerId: 'w3' })).toBeNull()
    const events = await engine.getEvents(first.id)
    expect(events.map((event) => [event.type, event.data])).toEqual([
      [STATUS_EVENT_TYPE, { status: 'assigned', previousStatus: 'pending', workerId: 'w1' }],
    ])
    await engine.stop()
  })

  it('matches types with wildcards and needs every tag the task asks for', async () => {
    const { engine } = memoryEngine()
    const gpu = await engine.createTask({ type: 'llm.chat', assign: { tags: ['gpu', 'eu'] } })
    const render = await engine.createTask({ type: 'render', assign: {} })
    const untyped = await engine.createTask({ assign: {} })
    expect(await engine.claimTask({ workerId: 'cpu', types: ['llm.*'], tags: ['eu'] })).toBeNull()
    expect((await engine.claimTask({ workerId: 'gpu', types: ['llm.*'], tags: ['eu', 'gpu', 'x'] }))?.id).toBe(gpu.id)
    expect((await engine.claimTask({ workerId: 'typed', types: ['*'] }))?.id).toBe(render.id)
    expect(await engine.claimTask({ workerId: 'typed', types: ['*'] })).toBeNull()
    expect((await engine.claimTask({ workerId: 'any' }))?.id).toBe(untyped.id)
    await engine.stop()
  })

  it('gives each of 12 tasks to exactly one of 40 concurrent claims', async () => {
    const { engine } = memoryEngine()
    const tasks = await Promise.all(Array.from({ length: 12 }, () => engine.createTask({ assign: {} })))
    const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => engine.claimTask({ workerId: `w${i}` })))
    const won = claims.filter((task) => task !== null).map((task) => task!.id)
    expect(won.sort()).toEqual(tasks.map((task) => task.id).sort())
    await engine.stop()
  })

  it('refuses a bad worker with VALIDATION_ERROR', async () => {
    const { engine } = memoryEngine()
    await expectCode(engine.claimTask({ workerId: '' }), 'VALIDATION_ERROR')
    await expectCode(engine.claimTask({ workerId: 'w', tags: ['a,b'] }), 'VALIDATION_ERROR')
    await expectCode(engine.claimTask({ workerId: 'w', types: [] }), 'VALIDATION_ERROR')
    await engine.stop()
  })
})

describe('leases', () => {
  it('brings a task its worker did not start back to pending once leaseMs passed, and offers it again', async () => {
    const { engine, clock } = memoryEngine({ leaseSweepMs: 100 })
    const task = await engine.createTask({ assign: { leaseMs: 1_000 } })
    await engine.claimTask({ workerId: 'slow' })
    await clock.advance(900)
    expect((await engine.getTask(task.id))?.status).toBe('assigned')
    await clock.advance(200)
    const back = await engine.getTask(task.id)
    expect(back?.status).toBe('pending')
    expect(back?.assignedTo).toBeUndefined()
    expect((await engine.getEvents(task.id)).at(-1)?.data).toEqual({ status: 'pending', previousStatus: 'assigned', reason: 'lease-expired' })
    expect((await engine.claimTask({ workerId: 'next' }))?.assignedTo?.workerId).toBe('next')
    await engine.stop()
  })

  it('leaves a started task alone, with its worker still named, and uses the default lease', async () => {
    const { engine, clock } = memoryEngine({ leaseSweepMs: 1_000 })
    const task = await engine.createTask({ assign: {} })
    await engine.claimTask({ workerId: 'w' })
    const running = await engine.transitionTask(task.id, 'running')
    expect(running.assignedTo?.workerId).toBe('w')
    const other = await engine.createTask({ assign: {} })
    await engine.claimTask({ workerId: 'w' })
    await clock.advance(DEFAULT_LEASE_MS - 1_000)
    expect((await engine.getTask(other.id))?.status).toBe('assigned')
    await clock.advance(2_000)
    expect((await engine.getTask(other.id))?.status).toBe('pending')
    expect((await engine.getTask(task.id))?.status).toBe('running')
    await engine.stop()
  })

  it('lets the worker give a task back through the API, and a lost worker through releaseTask', async () => {
    const { engine } = memoryEngine()
    const task = await engine.createTask({ assign: {} })
    await engine.claimTask({ workerId: 'w' })
    const released = await engine.transitionTask(task.id, 'pending', { reason: 'released' })
    expect(released.assignedTo).toBeUndefined()
    await engine.claimTask({ workerId: 'w2' })
    expect(await engine.releaseTask(task.id, 'worker-lost')).toBe(true)
    expect(await engine.releaseTask(task.id, 'worker-lost')).toBe(false)
    expect((await engine.getEvents(task.id)).map((event) => (event.data as { reason?: string }).reason)).toEqual([
      undefined,
      'released',
      undefined,
      'worker-lost',
    ])
    await engine.stop()
  })

  it('releases for a lost worker only the assignment it held, not a later one of the task', async () => {
    const { engine, clock } = memoryEngine()
    const task = await engine.createTask({ assign: {} })
    const first = (await engine.claimTask({ workerId: 'w' }))!.assignedTo!
    expect(await engine.releaseTask(task.id, 'lease-expired')).toBe(true)
    await clock.advance(10)
    const second = (await engine.claimTask({ workerId: 'w' }))!.assignedTo!
    expect(second.at).toBe(first.at + 10)
    // The same worker id, an earlier assignment: a socket of that worker closing late.
    expect(await engine.releaseTask(task.id, 'worker-lost', first)).toBe(false)
    expect(await engine.releaseTask(task.id, 'worker-lost', { workerId: 'other', at: second.at })).toBe(false)
    expect(await engine.getTask(task.id)).toMatchObject({ status: 'assigned', assignedTo: second })
    expect(await engine.releaseTask(task.id, 'worker-lost', second)).toBe(true)
    await engine.stop()
  })

  it('moves a task for a worker only while it holds it, and never starts a waiting task straight from pending', async () => {
    const { engine, clock } = memoryEngine({ leaseSweepMs: 100 })
    const task = await engine.createTask({ assign: { leaseMs: 500 } })
    await expectCode(engine.transitionTask(task.id, 'running'), 'INVALID_TRANSITION')
    await engine.claimTask({ workerId: 'first' })
    await clock.advance(700)
    await engine.claimTask({ workerId: 'second' })
    const refused = await expectCode(engine.transitionTask(task.id, 'running', { workerId: 'first' }), 'CONFLICT')
    expect(refused.details).toEqual({ status: 'assigned' })
    const running = await engine.transitionTask(task.id, 'running', { workerId: 'second' })
    expect(running.assignedTo?.workerId).toBe('second')
    expect((await engine.getEvents(task.id)).at(-1)?.data).toEqual({ status: 'running', previousStatus: 'assigned' })
    await expectCode(engine.transitionTask(task.id, 'pending', { workerId: 'second' }), 'CONFLICT')
    await engine.stop()
  })

  it('refuses assign with bad tags or lease', async () => {
    const { engine } = memoryEngine()
    await expectCode(engine.createTask({ assign: { leaseMs: 5 } }), 'VALIDATION_ERROR')
    await expectCode(engine.createTask({ assign: { tags: [''] } }), 'VALIDATION_ERROR')
    await expectCode(engine.createTask({ assign: { other: 1 } as never }), 'VALIDATION_ERROR')
    await engine.stop()
  })
})

describe('assignTask', () => {
  it('assigns that one pending task to the first worker only, with the worker named', async () => {
    const { engine, clock } = memoryEngine()
    const task = await engine.createTask({ type: 'job', assign: {} })
    const [a, b] = await Promise.all([engine.assignTask(task.id, { workerId: 'w1' }), engine.assignTask(task.id, { workerId: 'w2' })])
    expect([a?.assignedTo, b?.assignedTo]).toEqual([{ workerId: 'w1', at: clock.now() }, undefined])
    expect(b).toBeNull()
    const events = await engine.getEvents(task.id)
    expect(events.map((event) => event.data)).toEqual([{ status: 'assigned', previousStatus: 'pending', workerId: 'w1' }])
    await engine.stop()
  })

  it('refuses a worker that may not take the task, and an unknown task', async () => {
    const { engine } = memoryEngine()
    const gpu = await engine.createTask({ type: 'llm.chat', assign: { tags: ['gpu'] } })
    const plain = await engine.createTask({ type: 'llm.chat' })
    await expectCode(engine.assignTask(gpu.id, { workerId: 'cpu' }), 'VALIDATION_ERROR')
    await expectCode(engine.assignTask(gpu.id, { workerId: 'gpu', types: ['render'], tags: ['gpu'] }), 'VALIDATION_ERROR')
    await expectCode(engine.assignTask(plain.id, { workerId: 'any' }), 'VALIDATION_ERROR')
    await expectCode(engine.assignTask('nope', { workerId: 'any' }), 'TASK_NOT_FOUND')
    await engine.transitionTask(gpu.id, 'cancelled')
    expect(await engine.assignTask(gpu.id, { workerId: 'gpu', tags: ['gpu'] })).toBeNull()
    await engine.stop()
  })
})

describe('pendingTasksFor', () => {
  it('lists the pending tasks a worker may take, oldest first, without assigning them, skipping the ones asked', async () => {
    const { engine, clock } = memoryEngine()
    const ids: string[] = []
    for (let i = 0; i < 4; i++) {
      ids.push((await engine.createTask({ type: i === 2 ? 'other' : 'job', assign: {} })).id)
      await clock.advance(1)
    }
    await engine.createTask({ type: 'job' })
    expect((await engine.pendingTasksFor({ workerId: 'w', types: ['job'] }, 10)).map((task) => task.id)).toEqual([ids[0], ids[1], ids[3]])
    expect((await engine.pendingTasksFor({ workerId: 'w' }, 2, (id) => id === ids[0])).map((task) => task.id)).toEqual([ids[1], ids[2]])
    expect((await engine.getTask(ids[0]!))?.status).toBe('pending')
    await engine.stop()
  })
})

describe('listWorkers', () => {
  it('lists every roster added here, then what the broadcast says the other processes have', async () => {
    const broadcast = new MemoryBroadcastProvider()
    let served: (() => WorkerListing[]) | undefined
    const remote: WorkerListing = { workerId: 'far', mode: 'ws', capacity: 1, assigned: 0, running: 1, connectedAt: 5 }
    const asked: number[] = []
    Object.assign(broadcast, {
      serveWorkers: (list: () => WorkerListing[]) => (served = list),
      workersElsewhere: (timeoutMs: number) => (asked.push(timeoutMs), Promise.resolve([remote])),
    })
    const { engine } = memoryEngine({ broadcast })
    const removeA = engine.addWorkerRoster(() => [{ workerId: 'a', mode: 'pull' }])
    engine.addWorkerRoster(() => [{ workerId: 'b', types: ['llm.*'], mode: 'pull' }])
    expect(await engine.listWorkers()).toEqual([{ workerId: 'a', mode: 'pull' }, { workerId: 'b', types: ['llm.*'], mode: 'pull' }, remote])
    expect(asked).toEqual([250])
    // Other processes are answered with this process's workers only.
    expect(served?.()).toEqual([{ workerId: 'a', mode: 'pull' }, { workerId: 'b', types: ['llm.*'], mode: 'pull' }])
    removeA()
    expect(await engine.listWorkers(40)).toEqual([{ workerId: 'b', types: ['llm.*'], mode: 'pull' }, remote])
    expect(asked).toEqual([250, 40])
    await engine.stop()
  })

  it('lists this process only when the broadcast cannot ask the others', async () => {
    const { engine } = memoryEngine()
    expect(await engine.listWorkers()).toEqual([])
    engine.addWorkerRoster(() => [{ workerId: 'a', mode: 'pull' }])
    expect(await engine.listWorkers()).toEqual([{ workerId: 'a', mode: 'pull' }])
    await engine.stop()
  })
})
