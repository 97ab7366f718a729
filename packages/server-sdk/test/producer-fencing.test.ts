// Producer epochs against a real server over loopback: a newer epoch fences an older instance off
// (STALE_PRODUCER, fatal for it), `epoch: 'claim'` takes the stored epoch + 1 with a probe that
// stores nothing, and two instances under the same id and epoch are caught rather than trusted.
import { describe, expect, it } from 'vitest'
import { TaskcastServerClient } from '../src/index.js'
import { serverForFile, type TestServer } from './support/server-for-file.js'
import { rejection } from './support/settled.js'

let server: TestServer
let sdk: TaskcastServerClient
serverForFile((started, client) => ((server = started), (sdk = client)))

async function runningTask(): Promise<string> {
  const { id } = await sdk.createTask({ type: 'producer-fencing' })
  await sdk.transitionTask(id, 'running')
  return id
}

/** The whole log: types and data, status events included (a stored probe would show). */
async function logOf(taskId: string): Promise<unknown[]> {
  return (await sdk.getHistory(taskId)).map((event) => (event.type === 'taskcast:status' ? event.type : event.data))
}

describe('producer epochs', () => {
  it('is fenced off by a newer epoch: STALE_PRODUCER rejects the write, and every later one', async () => {
    const taskId = await runningTask()
    const old = sdk.producer(taskId, { producerId: 'agent', epoch: 1 })
    await old.publish({ type: 'step', data: 'old-1' })
    const fresh = sdk.producer(taskId, { producerId: 'agent', epoch: 2 })
    await fresh.publish({ type: 'step', data: 'new-1' })
    const pending = [old.publish({ type: 'step', data: 'old-2' }), old.publish({ type: 'step', data: 'old-3' })]
    const stale = await rejection(pending[0]!)
    expect([stale.code, stale.details?.currentEpoch, stale.details?.httpStatus]).toEqual(['STALE_PRODUCER', 2, 409])
    expect(await rejection(pending[1]!)).toBe(stale)
    expect(await rejection(old.publish({ type: 'step', data: 'old-4' }))).toBe(stale)
    expect(await rejection(old.flush())).toBe(stale)
    expect(await rejection(old.close())).toBe(stale)
    await fresh.publish({ type: 'step', data: 'new-2' })
    expect(await logOf(taskId)).toEqual(['taskcast:status', 'old-1', 'new-1', 'new-2'])
  })

  it("claims the stored epoch + 1, which fences the instance before it off; the probe stores nothing", async () => {
    const taskId = await runningTask()
    const first = sdk.producer(taskId, { producerId: 'worker-7', epoch: 'claim' })
    expect(await first.epoch()).toBe(1) // nothing stored yet
    await first.publish({ type: 'step', data: 'first-1' })
    const second = sdk.producer(taskId, { producerId: 'worker-7', epoch: 'claim' })
    expect(await second.epoch()).toBe(2)
    await second.publish({ type: 'step', data: 'second-1' })
    const stale = await rejection(first.publish({ type: 'step', data: 'first-2' }))
    expect([stale.code, stale.details?.currentEpoch]).toEqual(['STALE_PRODUCER', 2])
    const third = sdk.producer(taskId, { producerId: 'worker-7', epoch: 'claim' })
    expect(await third.epoch()).toBe(3)
    await third.close()
    expect(await logOf(taskId)).toEqual(['taskcast:status', 'first-1', 'second-1'])
  })

  it('claims epoch 1 over a producer that published with the default epoch 0, and queues publishes while it asks', async () => {
    const taskId = await runningTask()
    const plain = sdk.producer(taskId, { producerId: 'p' })
    await plain.publish({ type: 'step', data: 'epoch-0' })
    const claimer = sdk.producer(taskId, { producerId: 'p', epoch: 'claim' })
    const published = claimer.publish({ type: 'step', data: 'epoch-1' })
    expect(await claimer.epoch()).toBe(1)
    expect((await published).index).toBe(2)
    expect((await rejection(plain.publish({ type: 'step', data: 'late' }))).code).toBe('STALE_PRODUCER')
  })

  it('fails the claim, and every publish, when the task does not exist', async () => {
    const producer = sdk.producer('no-such-task', { epoch: 'claim' })
    const missing = await rejection(producer.epoch())
    expect(missing.code).toBe('TASK_NOT_FOUND')
    expect(await rejection(producer.publish({ type: 'step' }))).toBe(missing)
  })

  it("does not take another instance's events, answered 200 under the same id, epoch and seq, for its own", async () => {
    const taskId = await runningTask()
    const one = sdk.producer(taskId, { producerId: 'twin' })
    const other = sdk.producer(taskId, { producerId: 'twin' })
    await one.publish({ type: 'step', data: 'one' })
    const conflict = await rejection(other.publish({ type: 'step', data: 'other' }))
    expect([conflict.code, conflict.details]).toEqual(['CONFLICT', { producerId: 'twin', epoch: 0, seq: 0 }])
    // A batch of another size under used seqs is a gap behind what is stored: fatal too.
    const third = sdk.producer(taskId, { producerId: 'twin' })
    const gap = await rejection(Promise.all([third.publish({ type: 'step', data: 'a' }), third.publish({ type: 'step', data: 'b' })]))
    expect([gap.code, gap.details?.expectedSeq]).toEqual(['SEQUENCE_GAP', 1])
    expect(await logOf(taskId)).toEqual(['taskcast:status', 'one'])
  })
})
