// Idempotent producers over HTTP (SPEC §19): the Producer-* headers of POST /tasks/:id/events,
// each row of the table with its status and code, a retry answered 200 with the events as first
// stored (and not delivered twice to a live subscriber), malformed headers refused with nothing
// stored, and the headers allowed by CORS preflights.
import type { SSEEnvelope, TaskEvent } from '@taskcast/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTaskcastApp, type TaskcastApp } from '../src/index.js'
import { json, makeEngine, startServer, waitFor, type TestEngine, type TestServer } from './harness.js'

let harness: TestEngine
let app: TaskcastApp
let server: TestServer

beforeAll(async () => {
  harness = makeEngine()
  app = createTaskcastApp({ engine: harness.engine, cors: { origin: 'http://app.example' } })
  server = await startServer(app.fetch)
})
afterAll(async () => {
  await app.close()
  await server.close()
})

interface Answer {
  status: number
  body: unknown
  code: string | undefined
  details: Record<string, unknown> | undefined
}

async function publish(taskId: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${server.url}/tasks/${taskId}/events`, json(body, { method: 'POST', headers }))
  const parsed = (await response.json()) as { error?: { code: string; details?: Record<string, unknown> } }
  return { status: response.status, body: parsed, code: parsed.error?.code, details: parsed.error?.details }
}

const stamp = (id: string, epoch: number, seq: number) => ({ 'Producer-Id': id, 'Producer-Epoch': String(epoch), 'Producer-Seq': String(seq) })

async function runningTask(): Promise<string> {
  const task = await harness.engine.createTask({})
  await harness.engine.transitionTask(task.id, 'running')
  return task.id
}

async function userEvents(taskId: string): Promise<unknown[]> {
  return (await harness.engine.getEvents(taskId)).filter((event) => event.type === 'step').map((event) => event.data)
}

describe('POST /tasks/:id/events with Producer-* headers', () => {
  it('appends the next seq (201) and answers its retry 200 with the same events, stored once', async () => {
    const taskId = await runningTask()
    const first = await publish(taskId, [{ type: 'step', data: 0 }, { type: 'step', data: 1 }], stamp('agent-1', 0, 0))
    expect(first.status).toBe(201)
    const retry = await publish(taskId, [{ type: 'step', data: 0 }, { type: 'step', data: 1 }], stamp('agent-1', 0, 0))
    expect(retry.status).toBe(200)
    const ids = (answer: Answer) => (answer.body as TaskEvent[]).map(({ id, index }) => ({ id, index }))
    expect(ids(retry)).toEqual(ids(first))
    const single = await publish(taskId, { type: 'step', data: 2 }, stamp('agent-1', 0, 2))
    expect([single.status, (single.body as TaskEvent).index]).toEqual([201, 3])
    expect(await userEvents(taskId)).toEqual([0, 1, 2])
  })

  it('refuses an older epoch with 409 STALE_PRODUCER and a gap with 409 SEQUENCE_GAP, storing nothing', async () => {
    const taskId = await runningTask()
    await publish(taskId, { type: 'step', data: 'p2' }, stamp('agent', 2, 0))
    const stale = await publish(taskId, { type: 'step', data: 'zombie' }, stamp('agent', 1, 7))
    expect([stale.status, stale.code, stale.details?.currentEpoch]).toEqual([409, 'STALE_PRODUCER', 2])
    const gap = await publish(taskId, { type: 'step', data: 'ahead' }, stamp('agent', 2, 5))
    expect([gap.status, gap.code, gap.details?.expectedSeq]).toEqual([409, 'SEQUENCE_GAP', 1])
    const takeover = await publish(taskId, { type: 'step', data: 'p3' }, stamp('agent', 3, 0))
    expect(takeover.status).toBe(201)
    expect(await userEvents(taskId)).toEqual(['p2', 'p3'])
  })

  it.each([
    ['one header alone', { 'Producer-Id': 'p' }],
    ['two of three', { 'Producer-Id': 'p', 'Producer-Epoch': '0' }],
    ['a negative seq', stamp('p', 0, -1)],
    ['a fractional epoch', { ...stamp('p', 0, 0), 'Producer-Epoch': '1.5' }],
    ['a seq that is not a number', { ...stamp('p', 0, 0), 'Producer-Seq': 'one' }],
    ['an empty id', { ...stamp('p', 0, 0), 'Producer-Id': '' }],
    ['an id of 129 characters', stamp('x'.repeat(129), 0, 0)],
    ['an id with a non-ASCII character', stamp('prodücer', 0, 0)],
  ])('refuses %s with 400 VALIDATION_ERROR and stores nothing', async (_, headers) => {
    const taskId = await runningTask()
    const answer = await publish(taskId, { type: 'step', data: 'x' }, headers as Record<string, string>)
    expect([answer.status, answer.code]).toEqual([400, 'VALIDATION_ERROR'])
    expect(await userEvents(taskId)).toEqual([])
  })

  it('does not deliver a retry to a live subscriber a second time', async () => {
    const taskId = await runningTask()
    const seen: SSEEnvelope[] = []
    const unsubscribe = harness.engine.subscribe(taskId, { types: ['step'] }, (envelope) => seen.push(envelope))
    await publish(taskId, { type: 'step', data: 'a' }, stamp('p', 0, 0))
    await publish(taskId, { type: 'step', data: 'a' }, stamp('p', 0, 0))
    await publish(taskId, { type: 'step', data: 'b' }, stamp('p', 0, 1))
    const steps = () => seen.filter((envelope) => envelope.type === 'step')
    await waitFor(() => steps().length >= 2, 'two deliveries')
    unsubscribe()
    expect(steps().map((envelope) => envelope.data)).toEqual(['a', 'b'])
  })

  it('answers a retry of the last request after the task completed, and refuses new seqs then', async () => {
    const taskId = await runningTask()
    const first = await publish(taskId, { type: 'step', data: 'last' }, stamp('p', 0, 0))
    await harness.engine.transitionTask(taskId, 'completed')
    const retry = await publish(taskId, { type: 'step', data: 'last' }, stamp('p', 0, 0))
    expect([retry.status, (retry.body as TaskEvent).id]).toEqual([200, (first.body as TaskEvent).id])
    const late = await publish(taskId, { type: 'step', data: 'late' }, stamp('p', 0, 1))
    expect([late.status, late.code]).toEqual([400, 'TASK_NOT_RUNNING'])
  })

  it('allows the Producer-* headers in CORS preflights', async () => {
    const response = await fetch(`${server.url}/tasks/t/events`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'producer-id, producer-epoch, producer-seq' },
    })
    const allowed = (response.headers.get('Access-Control-Allow-Headers') ?? '').toLowerCase()
    for (const header of ['producer-id', 'producer-epoch', 'producer-seq']) expect(allowed).toContain(header)
  })
})
